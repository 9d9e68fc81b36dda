export { createBroker } from './broker.js';
export * from './types.js';
export * from './topics.js';
export { authorizePublish, authorizeSubscribe, authorizeWill, filterCovers } from './acl.js';
