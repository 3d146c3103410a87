export { orderWorkflow } from './order-workflow';
export { subscriptionWorkflow } from './subscription-workflow';
