/** Everything provisioning adds to the element, loaded when a provisioning URL is first set or used. */
export { AgentSession } from '../provisioning/agent-session.js';
export { AgentTabs, agentChannelName } from '../provisioning/agent-tabs.js';
export { renderAgentBar } from '../ui/agent-status.js';
export { renderForwarding } from '../ui/forwarding.js';
export { renderLogin } from '../ui/login.js';
