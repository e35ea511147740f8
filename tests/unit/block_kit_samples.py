"""Messages for the Block Kit builders' tests: ordinary ones and the ones that push Slack's limits (long and
hostile user text, big teams, many objectives), so every builder is checked where it is most likely to break."""

from datetime import UTC, date, datetime

from bot.okr.messages import Notice
from bot.okr.messages.checkins import (
    AwayNotice,
    CheckInForm,
    CheckInNudge,
    CheckInPrompt,
    CheckInRecorded,
    FormContext,
    KRChoice,
    PromptItem,
    RecordedLine,
)
from bot.okr.messages.digests import (
    DigestHeader,
    DigestMessage,
    DigestSummary,
    ManagerDigest,
    MissingPerson,
    PersonSection,
)
from bot.okr.messages.home import HomePage, ManagerOverview, TeamSummary
from bot.okr.messages.okrs import KRList, Page, TeamPage
from bot.okr.messages.read_models import AlignedObjective, CycleInfo, KRView, ObjectiveView, kr_view
from bot.okr.types import Confidence, KRKind, Pacing

CYCLE = CycleInfo(id=1, name="2027 Q1 <b>&", start=date(2027, 1, 4), end=date(2027, 3, 28))
TODAY = date(2027, 2, 12)
AT = datetime(2027, 2, 12, 9, 30, tzinfo=UTC)
HOSTILE = "<!channel> & <https://evil|bank> *bold* `code` " + "ü" * 20
LONG = ("a very long title with many words " * 120).strip()


def kr(i: int, *, kind: KRKind = KRKind.INCREASE, text: str = "", long: bool = False) -> KRView:
    return kr_view(
        id=i,
        title=(LONG if long else f"KR {i} {text}").strip(),
        kind=kind,
        owner_id=f"U{i:04d}",
        owner_name=f"Person {i} {text}".strip(),
        unit="%" if kind is not KRKind.BINARY else "",
        start=0.0,
        target=1.0 if kind is KRKind.BINARY else 100.0,
        current=0.0 if kind is KRKind.BINARY else float(i % 100),
        confidence=[None, "on_track", "at_risk", "off_track"][i % 4],
        cycle=CYCLE,
        today=TODAY,
        last_checkin_at=AT if i % 2 else None,
        last_comment=(LONG if long else text),
        score=0.5 if i % 3 == 0 else None,
        objective_title=f"Objective of {i} {text}",
        blockers=(LONG if long else text) if i % 2 else "",
        blockers_at=AT,
    )


def objective(i: int, krs: tuple[KRView, ...], *, text: str = "", children: int = 0) -> ObjectiveView:
    return ObjectiveView(
        id=i,
        title=f"Objective {i} {text}".strip(),
        team_name="Team A",
        krs=krs,
        progress=0.4,
        parent_id=99 if i % 2 else None,
        shared_from="Other & team" if i % 5 == 4 else "",
        parent=AlignedObjective("Company goal " + text, "Leadership", 0.3) if i % 2 else None,
        children=tuple(AlignedObjective(f"Child {c} {text}", "Team B", 0.2) for c in range(children)),
    )


def prompts() -> list:
    items = tuple(PromptItem(n, kr(n, kind=k, text=HOSTILE)) for n, k in enumerate(KRKind, start=1))
    many = tuple(PromptItem(n, kr(n, long=True)) for n in range(1, 11))
    return [
        CheckInPrompt(ledger_id=7, items=items[:1], example="42, on track, going fine"),
        CheckInPrompt(
            ledger_id=8, items=items, recent=(kr(40, text=HOSTILE),), covering_for=HOSTILE, cadence="biweekly"
        ),
        CheckInPrompt(ledger_id=9, items=many, example="1 42 at risk\n2 done"),
        CheckInNudge(ledger_id=10, missing=items, covering_for="Bob"),
        CheckInNudge(ledger_id=11, missing=many),
    ]


def confirmations() -> list:
    line = RecordedLine(checkin_id=5, kr_title=HOSTILE, text="42 / 100 (42%), at risk", comment=HOSTILE, blockers=LONG)
    many = tuple(RecordedLine(checkin_id=i, kr_title=f"KR {i}", text="done", comment=LONG) for i in range(1, 40))
    return [
        CheckInRecorded(lines=(line,)),
        CheckInRecorded(lines=many, heading="Updated & <changed>"),
        Notice("Saved & done <!here>", emoji=":white_check_mark:"),
        AwayNotice(until=date(2027, 2, 20), delegate_id="U0DELEGATE"),
        AwayNotice(until=date(2027, 2, 20)),
    ]


def digest(objectives: int, krs: int, *, missing: int = 3, text: str = "", long: bool = False) -> DigestMessage:
    objs = tuple(
        objective(o, tuple(kr(o * 100 + k, text=text, long=long) for k in range(krs)), text=text, children=o % 8)
        for o in range(objectives)
    )
    ids = [v.id for o in objs for v in o.krs]
    return DigestMessage(
        header=DigestHeader("Team <A> & co", CYCLE.name, 6, 12, final_week=objectives % 2 == 1),
        objectives=objs,
        deltas=tuple((i, 1.5 * (i % 3) - 1) for i in ids[::2]),
        summary=DigestSummary(
            average=0.42,
            by_status=tuple((p, n) for n, p in enumerate(Pacing)),
            kr_count=len(ids),
            score_average=0.61,
        ),
        missing=tuple(MissingPerson(f"U{i:05d}", f"Name {i} {text}") for i in range(missing)),
        mention_missing=missing % 2 == 0,
        updated_at="10:42" if krs % 2 else None,
        timezone="Europe/Berlin",
        preview=objectives == 1,
        first=krs == 1,
    )


def digests() -> list:
    full = [digest(2, 3, text=HOSTILE), digest(1, 1, missing=0), digest(0, 0)]
    big = [digest(12, 8, missing=500, text=HOSTILE), digest(60, 20, missing=2000, long=True)]
    sections = [
        PersonSection("U1", "Alice & <b>", "Team <A>", tuple(kr(i, text=HOSTILE) for i in range(3)), AT, "Fri", True),
        PersonSection("U2", "", "Team A", (), None, "", False, zone="Europe/Berlin"),
        PersonSection("U3", "U3", "Team A", tuple(kr(i, long=True) for i in range(40)), AT, "Fri 12", False),
    ]
    return [*full, *big, *(ManagerDigest(d, people=3) for d in (*full, *big)), *sections]


def homes() -> list:
    summary = TeamSummary(HOSTILE, 0.5, 12, {"on_track": 3, "behind": 2})
    managed = tuple(
        ManagerOverview(i, f"Team {i}", summary, tuple(f"Name {n} {HOSTILE}" for n in range(i * 40)), cadence=c)
        for i, c in ((0, "weekly"), (1, "biweekly"), (5, "weekly"))
    )
    return [
        HomePage("U1", None, (), 0, (), None),
        HomePage(
            "U1",
            CYCLE,
            tuple(kr(i, text=HOSTILE) for i in range(3)),
            0,
            (summary,),
            AT,
            "Europe/Berlin",
            managed,
            True,
            frozenset({1}),
        ),
        HomePage("U1", CYCLE, tuple(kr(i, long=True) for i in range(40)), 60, (summary,) * 30, AT, "Nowhere/Zone"),
    ]


def lists() -> list:
    page = Page(offset=10, total=35, query="mine:U1")
    krs = tuple(kr(i, text=HOSTILE) for i in range(10))
    return [
        KRList("Your KRs & <more>", krs, page, "none", frozenset({1, 2}), CYCLE.name),
        KRList("Empty <list>", (), Page(0, 0, "risk:"), "Nothing at risk & fine"),
        TeamPage(
            3, "Team <A>", (objective(1, krs[:4], text=HOSTILE), objective(4, krs[4:8])), page, True, frozenset({4})
        ),
        TeamPage(3, "Team B", (), Page(0, 0, "team:3"), False),
    ]


def forms() -> list:
    choices = tuple(KRChoice(i, f"{i}. KR with a long label & <b> " * 4) for i in range(1, 130))
    return [
        CheckInForm(FormContext("prompt", kr_id=1, ledger_id=2), kr_title=HOSTILE, value="42", comment="x"),
        CheckInForm(FormContext("edit", checkin_id=3, reply_ts="1.2"), kind=KRKind.BINARY, value="done", editing=True),
        CheckInForm(FormContext("command"), choices=choices, selected=5, confidence=Confidence.AT_RISK, unit="%"),
    ]


MESSAGES = [*prompts(), *confirmations(), *digests(), *lists()]
VIEWS = [*homes(), *forms()]
