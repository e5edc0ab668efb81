// Written as Auth0's docs write a post-login Action: "Add user roles to ID and Access tokens"
// (auth0/docs-v2 main/docs/customize/actions/explore-triggers/post-login.mdx), with our own namespace.
/**
 * @param {Event} event - Details about the user and the context in which they are logging in.
 * @param {PostLoginAPI} api - Interface whose methods can be used to change the behavior of the login.
 */
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://authstage.example.test';
  if (event.authorization) {
    api.idToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
    api.accessToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
  }
};
