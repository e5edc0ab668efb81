"""`authstage gateway convert FILE...` (harness/_gateway.py) and `authstage up --gateway-config FILE`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from harness._cli import main

CORPUS = Path(__file__).parents[1] / "fake_gateway" / "corpus"


def test_convert_prints_the_api_document_and_notices_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gateway", "convert", str(CORPUS / "cfn-cognito-lambda.yaml")]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["name"] == "shop-gateway"
    assert document["targets"][0]["targetConfiguration"]["mcp"]["lambda"]["toolSchema"]["inlinePayload"][0]["name"] \
        == "find_product"
    assert "converted: CloudFormation template" in err and "resolved: Ref UserPoolClient" in err
    assert "ignored: roleArn" in err  # what the emulator does not act on, said once, after the conversion
    assert main(["gateway", "convert", "--output", "yaml", str(CORPUS / "terraform-show.json")]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["name"] == "tf-tools"


def test_convert_refusals_and_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gateway", "convert", str(CORPUS / "cfn-import-value.yaml")]) == 1
    err = capsys.readouterr().err
    assert "refused (cloudformation), 2 problem(s)" in err and "--param GatewayRoleArn=VALUE" in err
    given = ["--param", "GatewayRoleArn=arn:aws:iam::123456789012:role/r",
             "--param", "shared-idp-DiscoveryUrl=https://idp.example/.well-known/openid-configuration"]
    assert main(["gateway", "convert", str(CORPUS / "cfn-import-value.yaml"), *given]) == 0
    assert json.loads(capsys.readouterr().out)["roleArn"] == "arn:aws:iam::123456789012:role/r"
    assert main(["gateway", "convert", str(CORPUS / "cfn-two-gateways.yaml"), "--select", "PublicGateway"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "public-tools"
    assert main(["gateway", "convert", str(CORPUS / "main.tf")]) == 2
    assert "terraform show -json" in capsys.readouterr().err
    assert main(["gateway", "convert", str(CORPUS / "get-gateway-mistakes.json")]) == 1
    assert "Did you mean 'endpoint'?" in capsys.readouterr().err


def test_up_serves_a_get_gateway_output_plus_its_target_as_written() -> None:
    files = ["--gateway-config", str(CORPUS / "get-gateway-cognito.json"),
             "--gateway-config", str(CORPUS / "get-gateway-target-lambda.json")]
    process = subprocess.Popen([sys.executable, "-m", "harness", "up", "--json", "--quiet", *files],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        manifest = json.loads(process.stdout.readline())
        notices = {(n["kind"], n["path"]) for n in manifest["gateway"]["notices"]}
        assert ("mapped", "authorizerConfiguration.customJWTAuthorizer.discoveryUrl") in notices
        assert ("ignored", "roleArn") in notices
        assert "pasted-client-0" in manifest["clients"]
        config = httpx.get(manifest["gateway"]["url"] + "/_authstage/config").json()
        assert config["gatewayId"] == "calc-gateway-q7w3e9r1t5" and [t["name"] for t in config["targets"]] == ["calc-lambda"]
        assert config["protocolConfiguration"]["mcp"]["supportedVersions"] == ["2025-03-26"]  # nothing of the demo
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0


def test_explain_reads_a_cloudformation_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import time

    from joserfc import jwt
    from joserfc.jwk import KeySet, RSAKey

    from fake_gateway import Gateway

    template = CORPUS / "cfn-cognito-lambda.yaml"
    jwt_config = Gateway.from_file(template).view.jwt
    assert jwt_config is not None and jwt_config.clients
    issuer = jwt_config.discovery_url.split("/.well-known/")[0]
    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})
    (tmp_path / "discovery.json").write_text(json.dumps({"issuer": issuer, "jwks_uri": issuer + "/jwks"}))
    (tmp_path / "jwks.json").write_text(json.dumps(KeySet([key]).as_dict(private=False)))
    now = int(time.time())
    token = jwt.encode({"alg": "RS256", "kid": "k1"}, {"iss": issuer, "sub": "s", "iat": now, "exp": now + 60,
                                                      "client_id": jwt_config.clients[0]}, key)
    code = main(["explain", token, "--gateway-config", str(template), "--discovery", str(tmp_path / "discovery.json"),
                 "--jwks", str(tmp_path / "jwks.json")])
    out = capsys.readouterr().out
    assert code == 0 and re.search(r"PASS\s+client_id", out), out
