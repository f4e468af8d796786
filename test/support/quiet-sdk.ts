// The official SDK logs every error answer to stdout at ERROR level, with the
// request's headers (its Authorization signature included). Tests provoke
// hundreds of error answers on purpose, and those dumps buried the test
// report's own failures; the SDK's shared logger is switched off for the test
// process. Imported for its effect by every module that builds an SDK client.
import { Logger4jInstance } from '@huaweicloud/huaweicloud-sdk-core/logger/log4jLogger.js';

Logger4jInstance.level = 'off';
