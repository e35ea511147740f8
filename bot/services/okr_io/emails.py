"""People named by email in the OKR file: "email:<address>" until okrbot learns who that is on Teams.

The schema turns `alice@example.com` (or `email:alice@example.com`, as `okrbot export` writes an unmapped one)
into the person id "email:alice@example.com". Before the import writes anything, each such id whose address
okrbot already knows (a Teams person it mapped from the roster, bot.services.roster) is replaced by that
person's id, so a re-import never splits a mapped person in two. The rest stay "email:" people with their
`email` set, waiting for the roster.
"""

from bot.services.okr_io.okr_file import EMAIL, OkrFile
from storage import people
from storage.person_merge import people_by_emails


def _ids(f: OkrFile) -> set[str]:
    found = {p.id for p in f.people} | {p.manager for p in f.people if p.manager}
    for t in f.teams:
        found |= {*t.managers, *t.members}
    for o in f.objectives:
        found |= {o.owner} if o.owner else set()
        for kr in o.key_results:
            entries = [*kr.history, *([kr.last_checkin] if kr.last_checkin else [])]
            found |= {kr.owner, *kr.co_owners, *(c.by for c in entries)}
    return {i for i in found if i.startswith(EMAIL)}


def _swap(f: OkrFile, to: dict[str, str]) -> None:
    def one(value: str | None) -> str | None:
        return to.get(value, value) if value else value

    for p in f.people:
        p.id, p.manager = one(p.id), one(p.manager)
    for t in f.teams:
        t.managers, t.members = [one(m) for m in t.managers], [one(m) for m in t.members]
    for o in f.objectives:
        o.owner = one(o.owner)
        for kr in o.key_results:
            kr.owner, kr.co_owners = one(kr.owner), [one(c) for c in kr.co_owners]
            for entry in [*kr.history, *([kr.last_checkin] if kr.last_checkin else [])]:
                entry.by = one(entry.by)


async def resolve_emails(session, f: OkrFile) -> set[str]:
    """Replace the file's "email:" ids that okrbot has mapped; return the ones still unmapped."""
    ids = _ids(f)
    known = await people_by_emails(session=session, emails=[i.removeprefix(EMAIL) for i in ids])
    to = {EMAIL + email: p.id for email, p in known.items() if p.id != EMAIL + email}
    _swap(f, to)
    return ids - to.keys()


async def label_placeholders(session, ids: set[str]) -> None:
    """Give each "email:" person row its email, so the roster can find it."""
    for person in (await people.people_by_ids(session=session, ids=ids)).values():
        if person.email is None:
            person.email = person.id.removeprefix(EMAIL)
    await session.flush()
