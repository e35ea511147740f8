"""SQLModel tables for the whole OKR domain.

Storage imports nothing of ours, so enum-valued columns are plain strings here; the
domain enums in bot.okr.types define the allowed values and services convert.
All datetimes are timezone-aware UTC (stored through UTCDateTime) so the SQL stays
portable to PostgreSQL.
"""

from datetime import UTC, date, datetime

from sqlalchemy import Column, DateTime, Index, String, Text, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no timezone type and hands back naive values; normalising here keeps
    comparisons in services correct without sprinkling tzinfo fixes around.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(nullable: bool = True, **kw):
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable), **kw)


# --- people and teams -------------------------------------------------------------


class PersonBase(SQLModel):
    display_name: str = ""
    tz: str | None = None  # IANA name from Slack's users.list; None = unknown, fall back to the team's
    away_until: date | None = None
    delegate_id: str | None = Field(default=None, foreign_key="person.id")
    # Line manager named in the OKR file's people: list. None = the managers of the teams they are a member of.
    manager_id: str | None = Field(default=None, foreign_key="person.id")


class Person(PersonBase, table=True):
    id: str = Field(primary_key=True, max_length=64)  # Slack user id, "teams:<AAD object id>", or "email:<address>"
    # Lower-cased; set by the OKR file ("email:" people) or learned from the Teams roster (bot/services/roster.py).
    email: str | None = Field(default=None, max_length=254, unique=True)
    dm_channel: str | None = None  # cached D… id returned by chat.postMessage
    tz_refreshed_at: datetime | None = _ts()
    # Last time they opened the Home tab (at most one write a day): after-check-in refreshes go only to people
    # who use it; Home is rebuilt in full on every open anyway (bot/services/home.py).
    home_opened_at: datetime | None = _ts()


class TeamBase(SQLModel):
    name: str = Field(index=True, unique=True, max_length=80)
    channel: str | None = None  # digest channel id
    timezone: str = "UTC"
    checkin_day: int = 0  # 0 = Monday
    checkin_time: str = "10:00"  # local wall-clock HH:MM, in each owner's own timezone
    cadence: str = "weekly"
    digest_day: int = 4
    digest_time: str = "16:00"  # in the team's timezone
    nudge_hours: int = 24  # 0 turns nudges off
    mention_missing: bool = False  # @-mention people missing from the digest
    late_limit_hours: int = 6  # overdue sends older than this are skipped after downtime
    recent_checkin_days: int = 3  # KRs updated this recently are not asked again


class Team(TeamBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(default="slack", max_length=16)  # slack | teams: where the team's people are


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    person_id: str = Field(foreign_key="person.id", primary_key=True)
    role: str = "member"  # member | manager


# --- cycles, objectives, key results ---------------------------------------------


class Cycle(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=80)
    start: date
    end: date
    state: str = "active"  # planned | active | closed

    # At most one active cycle: the tick, the views and the importer all read "the" active cycle.
    __table_args__ = (
        Index(
            "uq_cycle_one_active",
            "state",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )


class ObjectiveBase(SQLModel):
    title: str = Field(max_length=300)
    description: str = ""
    ref: str | None = Field(default=None, max_length=80)  # stable key for YAML re-import
    team_id: int = Field(foreign_key="team.id", index=True)
    owner_id: str | None = Field(default=None, foreign_key="person.id")
    # Alignment. Indexed: a team view reads its objectives' aligned descendants from the top down
    # (okrs.objective_subtrees).
    parent_id: int | None = Field(default=None, foreign_key="objective.id", index=True)
    archived: bool = False


class Objective(ObjectiveBase, table=True):
    __table_args__ = (UniqueConstraint("cycle_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    position: int = 0


class KeyResultBase(SQLModel):
    title: str = Field(max_length=300)
    owner_id: str = Field(foreign_key="person.id", index=True)
    kind: str = "increase"  # increase | decrease | binary | milestone
    start_value: float = 0.0
    target_value: float = 100.0
    unit: str = Field(default="", max_length=20)
    weight: float = 1.0
    due_date: date | None = None
    ref: str | None = Field(default=None, max_length=80)


class KeyResult(KeyResultBase, table=True):
    __tablename__ = "key_result"
    id: int | None = Field(default=None, primary_key=True)
    objective_id: int = Field(foreign_key="objective.id", index=True)
    current_value: float = 0.0  # follows the latest live check-in
    confidence: str | None = None  # latest live check-in's confidence
    last_checkin_at: datetime | None = _ts()
    score: float | None = None  # final 0.0-1.0 score at cycle end
    archived: bool = False
    position: int = 0


class KRCoOwner(SQLModel, table=True):
    __tablename__ = "kr_co_owner"
    kr_id: int = Field(foreign_key="key_result.id", primary_key=True)
    # Indexed on its own: "the KRs I co-own" (every Home tab, /okr mine) starts from the person, and the primary
    # key's index leads with the KR.
    person_id: str = Field(foreign_key="person.id", primary_key=True, index=True)


class KRTeam(SQLModel, table=True):
    """Extra teams contributing to a shared KR; the owning team is the objective's."""

    __tablename__ = "kr_team"
    kr_id: int = Field(foreign_key="key_result.id", primary_key=True)
    # Indexed on its own: a team view's shared KRs start from the team (okrs.shared_key_results_for_teams); with
    # only the (kr_id, team_id) key, SQLite walked every KR of the cycle instead, ~1 ms at 2,000 KRs.
    team_id: int = Field(foreign_key="team.id", primary_key=True, index=True)


# --- check-ins --------------------------------------------------------------------


class CheckInBase(SQLModel):
    kr_id: int = Field(foreign_key="key_result.id", index=True)
    author_id: str = Field(foreign_key="person.id")
    value: float
    confidence: str  # on_track | at_risk | off_track
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    blockers: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = "modal"  # button | modal | thread | command | import | api


class CheckIn(CheckInBase, table=True):
    __tablename__ = "check_in"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    edited_at: datetime | None = _ts()
    undone_at: datetime | None = _ts()
    # What the KR held before this check-in, so undo can restore it exactly.
    prev_value: float | None = None
    prev_confidence: str | None = None
    # The Slack message that produced it (a thread reply), so message_changed can find it.
    source_channel: str | None = Field(default=None, max_length=32)
    source_ts: str | None = Field(default=None, max_length=32, index=True)


# --- review notes: their own table, never joined into OKR views -------------------


class ReviewNote(SQLModel, table=True):
    __tablename__ = "review_note"
    id: int | None = Field(default=None, primary_key=True)
    author_id: str = Field(foreign_key="person.id", index=True)
    subject_id: str = Field(foreign_key="person.id", index=True)
    kr_id: int | None = Field(default=None, foreign_key="key_result.id")
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    visibility: str = "private"  # private | shared
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # Where the note lives in Slack (the review thread or the shared DM thread).
    slack_channel: str | None = None
    slack_ts: str | None = None
    thread_ts: str | None = None


class ReviewThread(SQLModel, table=True):
    """A manager's private DM thread about one person; replies in it become review notes."""

    __tablename__ = "review_thread"
    __table_args__ = (UniqueConstraint("channel", "ts"),)
    id: int | None = Field(default=None, primary_key=True)
    manager_id: str = Field(foreign_key="person.id", index=True)
    subject_id: str = Field(foreign_key="person.id")
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    period: str = Field(max_length=32)


# --- scheduling ledger, audit -----------------------------------


class SendLedger(SQLModel, table=True):
    """One row per scheduled send; the unique key is what makes sends exactly-once."""

    __tablename__ = "send_ledger"
    __table_args__ = (
        UniqueConstraint("recipient", "kind", "period"),
        # A thread reply finds its prompt by (channel, ts); the tick reads a kind's rows per period. Without
        # these, both scan the whole ledger, which grows by one row per person per week.
        Index("ix_send_ledger_channel_ts", "channel", "ts"),
        Index("ix_send_ledger_kind_period", "kind", "period", "status", "sent_at"),
        # Status next: the idle tick's "anything failed, snoozed or unnudged?" reads answer from the index alone;
        # sent_at last: "sent prompts old enough to nudge" is a range of it, empty the day prompts went out.
        # Reconcile's unconfirmed rows ('unknown', or 'claimed' too long) without scanning the whole ledger.
        Index("ix_send_ledger_status_claimed_at", "status", "claimed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=64)  # a Slack user id, or "team:<id>"
    kind: str = Field(max_length=32)  # prompt | nudge | digest | manager_digest | score_prompt
    period: str = Field(max_length=32)
    status: str = "claimed"  # claimed | sent | unknown (reconcile it) | failed | skipped | snoozed
    attempts: int = 0
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    detail: str | None = Field(default=None, sa_column=Column(Text))  # JSON: e.g. the KR ids in a prompt
    error: str | None = Field(default=None, sa_column=Column(String(500)))
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = _ts()
    due_at: datetime | None = _ts()


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    actor_id: str = Field(max_length=32)
    entity: str = Field(max_length=32)  # objective | key_result | team | cycle
    entity_id: int
    field: str = Field(max_length=64)
    old: str | None = Field(default=None, sa_column=Column(Text))
    new: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class PendingReply(SQLModel, table=True):
    """A thread reply the parser could not read, kept so the person can use it as a comment."""

    __tablename__ = "pending_reply"
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id")
    ledger_id: int | None = Field(default=None, foreign_key="send_ledger.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


# --- the durable inbox: acked Slack requests whose work runs after the 200 -------------------


class InboxItem(SQLModel, table=True):
    """A verified Slack request, committed before Slack gets its 200 and processed by inbox workers.

    `key` is the request's Slack identity (event id, or the interaction's ids), so a redelivery is a no-op.
    `lane` is who the work is for (a user id): workers take lanes round-robin, one item per lane at a
    time, so one person's burst cannot starve everyone else, and one person's items run in order.
    """

    __tablename__ = "inbox_item"
    # (state, id): the oldest pending items, read in order without sorting the backlog (storage.inbox.ready).
    __table_args__ = (
        Index("ix_inbox_item_state_lane_id", "state", "lane", "id"),
        Index("ix_inbox_item_state_id", "state", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    lane: str = Field(max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the request body as JSON; may hold note text
    state: str = Field(default="pending", max_length=16)  # pending | claimed | done | failed
    attempts: int = 0
    owner: str | None = Field(default=None, max_length=64)  # the worker process holding the claim
    lease_until: datetime | None = _ts()
    available_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = _ts()
    error: str | None = Field(default=None, sa_column=Column(String(500)))


# --- coalesced after-check-in effects (bot/services/kernel/effects_due.py) ----------------------------


class EffectDue(SQLModel, table=True):
    """A Home tab or posted digest a check-in made stale: one row per target, refreshed once it is due.

    Written in the check-in's own transaction, so a committed check-in always leaves its refresh behind (a
    restart does it later). A burst of check-ins bumps `generation` on the one row instead of adding rows; a
    refresh removes the row only if no check-in came in while it ran, else it is due again a little later.
    """

    __tablename__ = "effect_due"
    __table_args__ = (Index("ix_effect_due_due_at", "due_at"),)
    key: str = Field(primary_key=True, max_length=200)  # "<effect>:<target>", e.g. "home:U0ALICE", "digest:7"
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    generation: int = 0
    owner: str | None = Field(default=None, max_length=64)  # the process running it now
    lease_until: datetime | None = _ts()


# --- Microsoft Teams: where a person's 1:1 chat with the bot is (bot/teams, teams_in) ----------------


class TeamsAddress(SQLModel, table=True):
    """The conversation reference a proactive 1:1 message needs, stored when the person installs or writes.

    `person_id` is "teams:<aad_object_id>"; the row's id names the chat in Delivery.channel ("teams-chat:<id>")
    so ledger and check-in columns (32 characters) can hold it, where Teams conversation ids run to ~100.
    """

    __tablename__ = "teams_address"
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", unique=True, max_length=64)
    aad_object_id: str = Field(max_length=64, unique=True)
    user_id: str = Field(max_length=200)  # the "29:..." id in this tenant
    tenant_id: str = Field(max_length=64)
    conversation_id: str = Field(max_length=300, index=True)
    service_url: str = Field(max_length=300)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    blocked_at: datetime | None = _ts()  # Teams said 403 MessageWritesBlocked: send nothing until they write again


class TeamsChannel(SQLModel, table=True):
    """A team's channel conversation okrbot has heard from (the app's install in the team, a conversationUpdate,
    an @mention there), and the connector service URL Teams gave with it: the team digest is posted there.

    `conversation_id` is the channel's id ("19:…@thread.tacv2"; a team's General channel has the team's id);
    `team_id` is the team's (channelData.team.id).
    """

    __tablename__ = "teams_channel"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=300, unique=True)
    team_id: str = Field(max_length=300, index=True)
    tenant_id: str = Field(max_length=64)
    service_url: str = Field(max_length=300)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
