"""gatebuild.lambda_edge_rules: the real template passes; each violation is caught."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gatebuild.lambda_edge_rules import check_template, main

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "cloudformation.yaml"


def _props(template, name="GateFunction"):
    return template["Resources"][name]["Properties"]


def _association(template):
    behavior = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    return behavior["LambdaFunctionAssociations"][0]


def _only(problems, *words):
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0], problems[0]
    return problems[0]


def test_real_template_is_clean(template):
    assert check_template(template) == []
    assert check_template(template, region="us-east-1") == []


def test_environment_variables(template):
    _props(template)["Environment"] = {"Variables": {"LOG_LEVEL": "debug"}}
    _only(check_template(template), "GateFunction", "Environment", "environment variables")


def test_memory_over_128(template):
    _props(template)["MemorySize"] = 256
    _only(check_template(template), "MemorySize", "256", "128")


def test_memory_not_literal(template):
    _props(template)["MemorySize"] = {"Ref": "Memory"}
    _only(check_template(template), "MemorySize", "literal")


def test_timeout_over_5(template):
    _props(template)["Timeout"] = 10
    _only(check_template(template), "Timeout", "10", "5")


def test_latest_by_function_ref(template):
    _association(template)["LambdaFunctionARN"] = {"Ref": "GateFunction"}
    _only(check_template(template), "LambdaFunctionARN", "$LATEST")


def test_latest_by_getatt_arn(template):
    _association(template)["LambdaFunctionARN"] = {"Fn::GetAtt": ["GateFunction", "Arn"]}
    _only(check_template(template), "LambdaFunctionARN", "$LATEST")


def test_latest_literal(template):
    _association(template)["LambdaFunctionARN"] = "arn:aws:lambda:us-east-1:123456789012:function:gate:$LATEST"
    _only(check_template(template), "$LATEST")


def test_latest_by_sub(template):
    _association(template)["LambdaFunctionARN"] = {"Fn::Sub": "${GateFunction.Arn}:$LATEST"}
    _only(check_template(template), "$LATEST")


def test_alias_resource(template):
    template["Resources"]["GateAlias"] = {
        "Type": "AWS::Lambda::Alias",
        "Properties": {"FunctionName": {"Ref": "GateFunction"}, "FunctionVersion": "1", "Name": "live"},
    }
    _association(template)["LambdaFunctionARN"] = {"Ref": "GateAlias"}
    _only(check_template(template), "alias", "numbered version")


def test_alias_literal(template):
    _association(template)["LambdaFunctionARN"] = "arn:aws:lambda:us-east-1:123456789012:function:gate:live"
    _only(check_template(template), "'live'", "alias")


def test_numbered_literal_and_sub_are_accepted(template):
    _association(template)["LambdaFunctionARN"] = "arn:aws:lambda:us-east-1:123456789012:function:gate:7"
    assert check_template(template) == []
    _association(template)["LambdaFunctionARN"] = {"Fn::Sub": "${GateVersion.Version}"}
    assert check_template(template) == []


def test_function_in_another_region_literal(template):
    _association(template)["LambdaFunctionARN"] = "arn:aws:lambda:eu-west-1:123456789012:function:gate:3"
    _only(check_template(template), "eu-west-1", "us-east-1")


def test_deploy_region_not_us_east_1(template):
    _only(check_template(template, region="eu-central-1"), "eu-central-1", "us-east-1")


def _refs(node):
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            yield node["Ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_rules_refer_only_to_the_templates_parameters(template):
    """The CloudFormation documentation allows `Ref` inside rule functions ("Rule functions",
    Supported functions) and describes rules as validating the parameters passed to the template
    ("Rules syntax"); it shows no pseudo parameter in a rule. A rule CloudFormation refused would
    fail every deploy, so the template has none (deploy.py refuses other regions itself)."""
    refs = set(_refs(template["Rules"]))
    assert refs and refs <= set(template["Parameters"]), refs - set(template["Parameters"])


def test_unsupported_runtime(template):
    _props(template)["Runtime"] = "python3.14"
    _only(check_template(template), "Runtime", "python3.14", "python3.13")


def test_non_python_runtime(template):
    _props(template)["Runtime"] = "java21"
    _only(check_template(template), "Runtime", "java21")


def test_arm64(template):
    _props(template)["Architectures"] = ["arm64"]
    _only(check_template(template), "Architectures", "x86_64")


def test_role_must_trust_edgelambda(template):
    statement = _props(template, "GateRole")["AssumeRolePolicyDocument"]["Statement"][0]
    statement["Principal"]["Service"] = ["lambda.amazonaws.com"]
    _only(check_template(template), "GateRole", "edgelambda.amazonaws.com")


@pytest.mark.parametrize(
    "key,value",
    [
        ("Layers", ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"]),
        ("VpcConfig", {"SubnetIds": [], "SecurityGroupIds": []}),
        ("TracingConfig", {"Mode": "Active"}),
    ],
)
def test_other_unsupported_features(template, key, value):
    _props(template)[key] = value
    _only(check_template(template), key)


def test_several_violations_are_all_reported(template):
    props = _props(template)
    props.update(MemorySize=512, Timeout=30, Environment={"Variables": {"A": "1"}})
    assert len(check_template(template)) == 3


def test_plain_yaml_dict_works_too():
    """check_template takes any dict; a template without distributions has nothing to check."""
    assert check_template({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}) == []


def test_module_cli_clean_and_failing(tmp_path, template):
    ok = subprocess.run(
        [sys.executable, "-m", "gatebuild.lambda_edge_rules", str(TEMPLATE_PATH)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout == ""
    _props(template)["Timeout"] = 9
    bad = tmp_path / "bad.json"
    import json

    bad.write_text(json.dumps(template))
    assert main([str(bad)]) == 1
    assert main([str(tmp_path / "missing.yaml")]) == 2


def test_yaml_needs_cloudformation_loader():
    """The plain YAML loader cannot read the template (it uses !Ref etc.); ours can."""
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(TEMPLATE_PATH.read_text())


# "Restrictions on Lambda@Edge" (CloudFront developer guide, Lambda features): runtime management
# other than Auto, more than the default ephemeral storage and SnapStart are refused at association.
@pytest.mark.parametrize(
    "key,value,word",
    [
        ("EphemeralStorage", {"Size": 1024}, "EphemeralStorage"),
        ("RuntimeManagementConfig", {"UpdateRuntimeOn": "Manual", "RuntimeVersionArn": "arn:x"}, "Auto"),
        ("SnapStart", {"ApplyOn": "PublishedVersions"}, "SnapStart"),
    ],
)
def test_more_unsupported_features(template, key, value, word):
    _props(template)[key] = value
    _only(check_template(template), "GateFunction", word)


def test_default_ephemeral_storage_and_auto_runtime_are_fine(template):
    _props(template)["EphemeralStorage"] = {"Size": 512}
    _props(template)["RuntimeManagementConfig"] = {"UpdateRuntimeOn": "Auto"}
    assert check_template(template) == []
