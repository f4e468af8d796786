// The CLI walkthrough on SQLite (walkthrough.support.ts).
import { describeWalkthrough } from './walkthrough.support.ts';

describeWalkthrough('sqlite');
