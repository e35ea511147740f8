"""POST /api/messages with the Bot Framework JWT check on (TEAMS_CLIENT_ID + TEAMS_CLIENT_SECRET, the default).

The SDK validates tokens against the JWKS of its cloud (`CloudEnvironment.openid_metadata_url`, `/keys`) and the
Bot Framework issuer; okrbot hands it `PUBLIC`. Here that cloud is a copy pointing at a JWKS served on loopback,
from a thread (the SDK fetches keys with a blocking urllib call on the event loop, so a server on the test's own
loop could never answer it), signed with an RSA key made for the test. Every refused request must do nothing:
no person or address stored, no connector call, no log line holding the body.
"""

import dataclasses
import json
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_teams.api.auth.cloud_environment import PUBLIC
from sqlmodel import select

from storage.models import Person, TeamsAddress
from tests.harness import running_bot
from tests.teams.activities import install, message

APP_ID = "11111111-1111-4111-8111-111111111111"
ISSUER = "https://api.botframework.com"
KID = "okrbot-test-key"
MARKER = "BODY-MARKER-93c1"


class Jwks:
    """A JWKS (and Entra's per-tenant key paths) on loopback, in a thread; counts the fetches by path."""

    def __init__(self, jwks: dict) -> None:
        self.fetches: list[str] = []
        self.probe: str | None = None  # a URL of okrbot's to try (from this thread) while a fetch is being answered
        self.probed: list[bool] = []  # whether okrbot answered it
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's name)
                outer.fetches.append(self.path)
                if outer.probe:
                    outer.probed.append(_answers(outer.probe))
                body = json.dumps(jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.5) as resp:
            return resp.status == 200
    except OSError:  # timed out: okrbot's event loop was not running
        return False


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def keys():
    good, other = _key(), _key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(good.public_key(), as_dict=True)
    return good, other, {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}


@pytest.fixture
async def secured(fake_slack, tmp_path, connector, keys, monkeypatch, request):
    """okrbot with the JWT check on, its SDK cloud's key endpoints on loopback (more settings: `request.param`)."""
    with Jwks(keys[2]) as served:
        cloud = dataclasses.replace(
            PUBLIC,
            openid_metadata_url=f"{served.url}/v1/.well-known/openidconfiguration",
            login_endpoint=served.url,  # Entra keys (the Agent 365 path) would be fetched here
        )
        monkeypatch.setattr("bot.teams.server.PUBLIC", cloud)
        settings = {"TEAMS_CLIENT_ID": APP_ID, "TEAMS_CLIENT_SECRET": "s3cret", **getattr(request, "param", {})}
        async with running_bot(fake_slack, tmp_path / "bot.db", **settings) as harness:
            harness.connector, harness.jwks = connector, served
            yield harness


def token(key, *, kid=KID, alg="RS256", **claims) -> str:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": APP_ID, "iat": now, "nbf": now, "exp": now + 3600}
    return jwt.encode({**base, **claims}, key, algorithm=alg, headers={"kid": kid})


async def _post(bot, activity, authorization: str | None) -> tuple[int, str]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{bot.app_url}/api/messages", json=activity, headers=headers) as resp:
            return resp.status, await resp.text()


async def _stored(bot) -> tuple[list, list]:
    async with bot.db.transaction() as s:
        return list((await s.exec(select(TeamsAddress))).all()), list((await s.exec(select(Person))).all())


async def test_a_valid_bot_framework_token_is_accepted_and_acted_on(secured, keys):
    """The control: without it every 401 below could be a broken setup."""
    activity = install(secured.connector)
    status, _ = await _post(secured, activity, f"Bearer {token(keys[0], serviceurl=secured.connector.base_url)}")
    assert status == 200
    (address,), _people = await _stored(secured)
    assert address.conversation_id == activity["conversation"]["id"]


def _forged(keys, service_url: str) -> dict[str, str | None]:
    good, other, _ = keys
    now = int(time.time())
    return {
        "no header": None,
        "not bearer": f"Basic {token(good, serviceurl=service_url)}",
        "garbage": "Bearer not.a.jwt",
        "unsigned (alg none)": "Bearer "
        + jwt.encode(
            {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url}, None, algorithm="none", headers={"kid": KID}
        ),
        "signed with another key": f"Bearer {token(other, serviceurl=service_url)}",
        "expired": f"Bearer {token(good, serviceurl=service_url, iat=now - 7200, nbf=now - 7200, exp=now - 3600)}",
        "wrong audience": f"Bearer {token(good, serviceurl=service_url, aud='22222222-2222-4222-8222-222222222222')}",
        "wrong issuer": f"Bearer {token(good, serviceurl=service_url, iss='https://evil.example')}",
        "another service url": f"Bearer {token(good, serviceurl='https://evil.example/teams')}",
        "no service url claim": f"Bearer {token(good)}",
        "an unknown key id": f"Bearer {token(good, serviceurl=service_url, kid='unknown-key')}",
        "a key id made of text": f"Bearer {token(good, serviceurl=service_url, kid=f'{MARKER} ' + 'k' * 5000)}",
    }


async def test_forged_tokens_get_401_and_nothing_is_done_stored_sent_or_logged(secured, keys, caplog):
    caplog.set_level("DEBUG")
    forged = _forged(keys, secured.connector.base_url)
    for name, authorization in forged.items():
        for activity in (install(secured.connector), message(secured.connector, f"okr mine {MARKER}")):
            activity["from"]["name"] = MARKER
            status, body = await _post(secured, activity, authorization)
            assert status == 401, (name, status, body)
            assert MARKER not in body
    assert await _stored(secured) == ([], [])
    assert secured.connector.calls == []
    assert not any(MARKER in r.getMessage() for r in caplog.records)


async def test_an_entra_issued_token_with_any_tenant_is_refused_without_fetching_keys(secured, keys):
    """An Entra-issued token (the SDK's Agent 365 path, which okrbot does not use) names its tenant in `tid`, and the
    SDK fetches that tenant's keys, synchronously, on the event loop, with a new key client per tenant: an outsider
    choosing a fresh tid per request makes okrbot block on an outbound fetch each time. okrbot refuses any issuer
    but Bot Framework's before the SDK looks at the token."""
    served = secured.jwks
    before = list(served.fetches)
    for _ in range(3):
        tid = str(uuid.uuid4())
        forged = token(keys[1], iss=f"{served.url}/{tid}/v2.0", tid=tid, azp="5a807f24-c9de-44ee-a3a7-329e88a00ffc")
        status, _ = await _post(secured, message(secured.connector, "okr mine"), f"Bearer {forged}")
        assert status == 401
    assert [f for f in served.fetches[len(before) :] if "/discovery/" in f] == []
    assert secured.connector.calls == []


async def test_a_token_for_the_bot_is_not_a_licence_for_another_channel(secured, keys, caplog):
    """A valid token says the Bot Framework sent the request, not that Teams did: an Azure Bot's Web Chat and
    Direct Line channels get tokens too, and their clients choose `from`. okrbot acts only on channelId msteams."""
    bearer = f"Bearer {token(keys[0], serviceurl=secured.connector.base_url)}"
    for channel in ("webchat", "directline", "emulator"):
        spoof = install(secured.connector)
        spoof["channelId"] = channel
        assert (await _post(secured, spoof, bearer))[0] == 403
    assert await _stored(secured) == ([], [])
    assert secured.connector.calls == []
    assert any("not from Microsoft Teams" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("secured", [{"TEAMS_TENANT_ID": "tid-1"}], indirect=True)
async def test_a_single_tenant_bot_acts_only_on_its_own_tenant(secured, keys):
    """TEAMS_TENANT_ID makes the bot's own identity single-tenant; the SDK still takes activities from any tenant."""
    bearer = f"Bearer {token(keys[0], serviceurl=secured.connector.base_url)}"
    stranger = install(secured.connector)
    stranger["conversation"]["tenantId"] = stranger["channelData"]["tenant"]["id"] = "tid-other"
    assert (await _post(secured, stranger, bearer))[0] == 403
    assert await _stored(secured) == ([], [])
    assert (await _post(secured, install(secured.connector), bearer))[0] == 200  # tests/teams/activities: tid-1
    (address,), _ = await _stored(secured)
    assert address.tenant_id == "tid-1"


async def test_fetching_the_keys_does_not_stall_okrbot(secured, keys):
    """The SDK fetches the keys with PyJWKClient's blocking urllib call on the event loop (on a cold cache, every 5
    minutes, and on every request while the key endpoint fails), which would stall all of okrbot, Slack and
    /healthz too, up to 30 s a fetch; okrbot's front door makes that lookup in a thread first."""
    secured.jwks.probe = f"{secured.app_url}/healthz"
    bearer = f"Bearer {token(keys[0], serviceurl=secured.connector.base_url)}"
    assert (await _post(secured, install(secured.connector), bearer))[0] == 200
    assert secured.jwks.probed == [True]  # /healthz answered while the keys were being fetched
