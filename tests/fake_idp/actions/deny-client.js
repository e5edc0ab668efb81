// Written as Auth0's docs write a credentials-exchange Action ("Access control", auth0/docs-v2
// main/docs/customize/actions/explore-triggers/machine-to-machine-trigger.mdx), keyed on client metadata.
/**
 * @param {Event} event - Details about client credentials grant request.
 * @param {CredentialsExchangeAPI} api - Interface whose methods can be used to change the behavior of client credentials grant.
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.metadata.suspended === 'true') {
    api.access.deny('invalid_request', `Client ${event.client.name} is suspended.`);
    return;
  }
  api.accessToken.setCustomClaim('https://authstage.example.test/request-ip', event.request.ip);
};
