// Modeled on a public Action that still uses the Rules API (Tekalo/common-app-api
// auth0/dev/actions/Add-Role-To-Token/code.js): `context` and `callback` do not exist in Actions, so Auth0
// fails the login with a ReferenceError.
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://authstage.example.test';
  const assignedRoles = (event.authorization || {}).roles;
  let accessTokenClaims = context.accessToken || {};
  accessTokenClaims[`${namespace}/roles`] = assignedRoles;
  context.accessToken = accessTokenClaims;
  callback(null, event.user, context);
};
