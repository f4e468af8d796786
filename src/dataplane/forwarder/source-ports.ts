/**
 * Source ports for backend connections that must leave from a given address
 * (namespaces mode: the provider VPC's transit address is what routes them
 * into that VPC).
 *
 * Binding an address with port 0 makes the kernel choose the port at bind
 * time, before it knows the destination, so it never reuses a port whose
 * earlier connection still sits in TIME_WAIT (the forwarder usually closes
 * first). After a few thousand short connections every bind searches the
 * range: measured on loopback, 2,749 connections/s in a first round and about
 * 590 in every round after it, against a steady ~7,400 without a bind; at
 * about 28,000 connections a minute the range runs out.
 *
 * Naming the port avoids that: libuv sets SO_REUSEADDR on every bind, so the
 * kernel lets a port held only by TIME_WAIT sockets be bound, and decides at
 * connect time, by the whole address pair, whether the earlier connection may
 * be replaced (net.ipv4.tcp_tw_reuse=1, set in the data-plane namespace). A
 * pair still in use fails the connect with EADDRNOTAVAIL and the flow tries
 * the next port (tcp-flow.ts).
 */
import { randomInt } from 'node:crypto';

/** Linux's default ephemeral range. */
export const SOURCE_PORT_LOW = 32768;
export const SOURCE_PORT_HIGH = 60999;

export class SourcePorts {
  readonly #low: number;
  readonly #high: number;
  #next: number;

  /** Starts at a random port, so that processes sharing an address rarely pick the same ones. */
  constructor(low = SOURCE_PORT_LOW, high = SOURCE_PORT_HIGH, start = randomInt(low, high + 1)) {
    this.#low = low;
    this.#high = high;
    this.#next = start;
  }

  /** The next port of the range, cycling. */
  next(): number {
    const port = this.#next;
    this.#next = port >= this.#high ? this.#low : port + 1;
    return port;
  }
}

/** The process's ports, shared by every flow that names its source address. */
export const sourcePorts = new SourcePorts();
