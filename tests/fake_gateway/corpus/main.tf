resource "aws_bedrockagentcore_gateway" "example" {
  name     = "hcl-gateway"
  role_arn = aws_iam_role.gateway.arn

  authorizer_type = "CUSTOM_JWT"
  authorizer_configuration {
    custom_jwt_authorizer {
      discovery_url    = "https://accounts.google.com/.well-known/openid-configuration"
      allowed_audience = ["hcl-client"]
    }
  }
  protocol_type = "MCP"
}
