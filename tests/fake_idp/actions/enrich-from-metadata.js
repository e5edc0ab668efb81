// Modeled on a public post-login Action (mcooper-cloud/auth0_apache auth0/post-login.js): a namespace from an
// Action secret, one claim per user_metadata entry, a UUID from Node's crypto module, login statistics, and a
// private non-namespaced claim. Names and values are ours.
exports.onExecutePostLogin = async (event, api) => {
  const namespace = event.secrets.CLAIM_NAMESPACE;
  const crypto = require('crypto');
  for (const [key, value] of Object.entries(event.user.user_metadata)) {
    api.accessToken.setCustomClaim(`${namespace}/${key}`, value);
  }
  api.accessToken.setCustomClaim(`${namespace}/logins`, event.stats.logins_count);
  api.accessToken.setCustomClaim(`${namespace}/connection`, event.connection.name);
  api.accessToken.setCustomClaim(`${namespace}/requested`, event.transaction.requested_scopes);
  const id = crypto.randomUUID();
  api.idToken.setCustomClaim('external_id', id);
  api.accessToken.setCustomClaim('external_id', id);
  console.log('enriched %s', event.user.email);
};
