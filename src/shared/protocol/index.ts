/** Run-event protocol, version 1: types, schema check, streaming reader, writer. */
export * from './types';
export * from './validate';
export * from './reader';
export * from './writer';
