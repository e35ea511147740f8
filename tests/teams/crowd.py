"""Many Teams people in one tenant, each with a 1:1 chat and one KR: for fan-out, pacing and kill tests."""

from tests.teams.activities import TENANT


def person(i: int) -> dict:
    aad = f"c0c0c0c0-0000-4000-8000-{i:012d}"
    return {"aad": aad, "id": f"teams:{aad}", "chat": f"a:1on1-p{i}", "from": {"id": f"29:p{i}", "aadObjectId": aad}}


def crowd(n: int) -> list[dict]:
    return [person(i) for i in range(n)]


def as_person(base: dict, p: dict) -> dict:
    """An activity from tests.teams.activities (install, message, ...) sent by `p` in their own 1:1 chat."""
    base["from"] = {**p["from"], "name": f"Person {p['chat']}"}
    base["conversation"] = {"id": p["chat"], "conversationType": "personal", "tenantId": TENANT}
    return base


def okrs(people: list[dict]) -> dict:
    ids = [p["id"] for p in people]
    return {
        "cycle": {"name": "2027-Q1", "start": "2027-01-04", "end": "2027-04-02"},
        "teams": [{"name": "Growth", "platform": "teams", "timezone": "UTC", "members": ids}],
        "people": [{"id": i, "name": i[-4:]} for i in ids],
        "objectives": [
            {
                "title": "Grow",
                "team": "Growth",
                "key_results": [{"title": f"KR {n}", "owner": i, "start": 0, "target": 100} for n, i in enumerate(ids)],
            }
        ],
    }
