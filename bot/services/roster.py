"""Who is who across the OKR file and the chat platform: people by email, and the roster that maps them.

The OKR file may name a person by email ("email:<address>" until mapped, bot.services.okr_io.emails). When the
platform's roster says which of its people has that address (the Teams connector's member list, read by
teams_in.roster), `map_members` folds the "email:" person into the platform person ("teams:<aad>"): their KRs,
teams and everything else move over, so prompts reach them. Platform-neutral: members come in as plain data.
"""

from dataclasses import dataclass

from bot.services.kernel.context import Services
from bot.services.kernel.errors import InvalidInput, NotFound
from storage import people, teams_addresses
from storage.person_merge import any_email_people, merge_people, people_by_emails, person_by_email

EMAIL = "email:"


@dataclass(frozen=True)
class Member:
    """One person as the platform's roster lists them."""

    person_id: str  # the platform person id, e.g. "teams:<aad>"
    email: str | None  # their email, when the platform gives one
    name: str = ""
    upn: str | None = None  # their sign-in name (Entra's userPrincipalName), often but not always the email


@dataclass(frozen=True)
class RosterResult:
    mapped: tuple[str, ...]  # person ids that took over an "email:" person of the OKR file
    known: tuple[str, ...]  # members okrbot has a person row for (it may need to write to them)
    seen: int


def _email(raw: str | None) -> str | None:
    text = (raw or "").strip().lower()
    return text if "@" in text and len(EMAIL + text) <= 64 else None


def _addresses(m: Member) -> list[str]:
    found = [_email(m.email), _email(m.upn)]
    return list(dict.fromkeys(a for a in found if a))  # the email first, then the sign-in name if it differs


async def map_members(svc: Services, members: list[Member]) -> RosterResult:
    """Record each member's email; an "email:" person with their email or sign-in name becomes them.

    One transaction, and a fixed number of statements for the whole roster (its people by id and by address,
    one merge of every "email:" person it maps), then writes only where something changed: Teams waits."""
    addresses = {m.person_id: _addresses(m) for m in members}
    async with svc.db.transaction() as session:
        rows = await people.people_by_ids(session=session, ids=[m.person_id for m in members])
        holders = await people_by_emails(session=session, emails=[a for found in addresses.values() for a in found])
        moves, chosen = {}, {}
        for m in members:
            waiting = [a for a in addresses[m.person_id] if a in holders and holders[a].id == EMAIL + a]
            chosen[m.person_id] = (waiting or addresses[m.person_id] or [None])[0]
            if waiting and EMAIL + waiting[0] not in moves:
                moves[EMAIL + waiting[0]] = m.person_id
            holder = holders.get(chosen[m.person_id] or "")
            if holder is not None and holder.id not in (m.person_id, EMAIL + (holder.email or "")):
                holder.email = None  # the roster says the address is someone else's now
        await session.flush()
        rows |= await merge_people(session=session, moves=moves)
        known = []
        for m in members:
            person, email = rows.get(m.person_id), chosen[m.person_id]
            if person is None:
                continue  # okrbot has no use for them: no row is kept
            if email and person.email != email:
                person.email = email
            person.display_name = person.display_name or m.name
            known.append(m.person_id)
        await session.flush()
    return RosterResult(mapped=tuple(moves.values()), known=tuple(known), seen=len(members))


async def without_chat(svc: Services, person_ids: tuple[str, ...]) -> list[str]:
    """The ones with no stored Teams address yet (okrbot stores one, and opens the chat at the first send)."""
    async with svc.db.read() as session:
        stored = await teams_addresses.people_with_address(session=session, person_ids=list(person_ids))
    return [p for p in person_ids if p not in stored]


async def emails_waiting(svc: Services) -> bool:
    """Whether anyone named by email in the OKR file is still unmapped (a reason to read a 1:1 chat's roster)."""
    async with svc.db.read() as session:
        return await any_email_people(session=session)


async def person_by_address(svc: Services, email: str) -> str:
    """The person okrbot knows by this email; NotFound says what to do when there is none."""
    address = email.strip().lower()
    if "@" not in address:
        raise InvalidInput(f"{email!r} is not an email address. Write okr person@example.com, or @mention them.")
    async with svc.db.read() as session:
        person = await person_by_email(session=session, email=address)
    if person is None:
        raise NotFound(
            f"okrbot knows nobody with the email {address}: they are not in the OKR file by that email, and "
            "okrbot has not read it from the team roster yet."
        )
    return person.id


async def names_of(svc: Services, person_ids: tuple[str, ...]) -> list[str]:
    """Display names (else ids) of these people, in order: for a roster report."""
    async with svc.db.read() as session:
        found = await people.people_by_ids(session=session, ids=list(person_ids))
    return [(found[p].display_name if p in found else "") or p for p in person_ids]
