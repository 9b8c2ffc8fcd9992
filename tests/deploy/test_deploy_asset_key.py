"""Issue 23: the asset-cookie key kept in SSM by the deploy (gatebuild/deploy/asset_key.py), its
rotation through two key-group slots, and the template parameters the deploy passes."""

import boto3

from gatebuild import asset_key
from gatebuild.deploy.asset_key import OVERLAP_SECONDS, asset_keys
from gatebuild.deploy.stack import StackOptions, stack_parameters

NAME = "/signin-gate/stack/s/asset-key"


def test_made_once_kept_as_a_securestring_and_never_printed(moto_aws, quiet_progress):
    ssm = boto3.client("ssm", region_name="us-east-1")
    pems, slot, key = asset_keys(ssm, NAME, quiet_progress, now=1000)
    assert slot == "A" and pems["A"].startswith("-----BEGIN PUBLIC KEY-----") and pems["B"] == ""
    assert ssm.get_parameter(Name=NAME)["Parameter"]["Type"] == "SecureString"
    again = asset_keys(ssm, NAME, quiet_progress, now=2000)
    assert again == (pems, slot, key)  # the same key on every deploy: no new version for nothing
    printed = quiet_progress.out.getvalue() + quiet_progress.err.getvalue()
    assert key["d"] not in printed and key["p"] not in printed and NAME in printed


def test_rotation_keeps_the_old_key_trusted_for_the_overlap_window(moto_aws, quiet_progress):
    ssm = boto3.client("ssm", region_name="us-east-1")
    pems, _, old = asset_keys(ssm, NAME, quiet_progress, now=1000)
    rotated, slot, new = asset_keys(ssm, NAME, quiet_progress, rotate=True, now=5000)
    assert slot == "B" and new["n"] != old["n"]
    assert rotated == {"A": pems["A"], "B": asset_key.public_pem(new)}  # both in the key group
    during = asset_keys(ssm, NAME, quiet_progress, now=5000 + OVERLAP_SECONDS - 1)
    assert during[0] == rotated
    after, slot, key = asset_keys(ssm, NAME, quiet_progress, now=5000 + OVERLAP_SECONDS + 1)
    assert slot == "B" and key == new and after == {"A": "", "B": asset_key.public_pem(new)}


def test_the_stack_gets_the_slots_and_the_pattern():
    opts = StackOptions(stack_name="s", asset_keys={"A": "PEM-A", "B": ""}, asset_path="/static/*")
    given = {p["ParameterKey"]: p["ParameterValue"] for p in stack_parameters(opts, "csp", None, None)}
    assert (
        given["AssetPublicKeyA"] == "PEM-A"
        and given["AssetPublicKeyB"] == ""
        and given["AssetPathPattern"] == "/static/*"
    )
    off = StackOptions(stack_name="s")
    previous = {"AssetPublicKeyA": "PEM-A"}
    given = {p["ParameterKey"]: p["ParameterValue"] for p in stack_parameters(off, "csp", previous, None)}
    assert given["AssetPublicKeyA"] == ""  # turning it off empties the slots: the gate runs on assets again
    fresh = {p["ParameterKey"] for p in stack_parameters(off, "csp", None, None)}
    assert not fresh & {"AssetPublicKeyA", "AssetPublicKeyB"}  # never on: nothing passed, the template's defaults
