"""Run inside the provider's Django settings (a child process): migrate the sqlite database,
create the person and the confidential RS256 application. Prints one JSON line."""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0, interactive=False)
    spec = json.loads(os.environ["DOT_PREPARE"])
    user_model = get_user_model()
    user = user_model.objects.filter(username=spec["username"]).first()
    if user is None:
        user = user_model.objects.create_user(spec["username"], spec["email"], spec["password"])
    application_model = get_application_model()
    application_model.objects.filter(client_id=spec["client_id"]).delete()
    application_model.objects.create(
        name="gate",
        client_id=spec["client_id"],
        client_secret=spec["client_secret"],  # hashed on save; the plain value is the launcher's
        client_type=application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(spec["redirect_uris"]),
        post_logout_redirect_uris=" ".join(spec["post_logout_redirect_uris"]),
        algorithm=application_model.RS256_ALGORITHM,
        skip_authorization=True,  # no consent page: the person's sign-in is the only step
        user=user,
    )
    sys.stdout.write(json.dumps({"user_id": user.pk}) + "\n")


if __name__ == "__main__":
    main()
