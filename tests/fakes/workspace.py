"""The fake workspace: state plus one handler per Web API method. Transport-free so it stays easy to reason about.

Handlers take the parsed args dict and return the Slack response dict; they raise ``ApiError`` for
``{"ok": false, "error": ...}`` answers. Warnings (e.g. ``missing_text_fallback``) go into ``self._warnings``
so the HTTP layer can record them on the ``Call``.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Any

from .blocks_check import MESSAGE_BLOCK_LIMIT, check_blocks, check_view
from .state import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, Ids, Message, User


class ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _invalid_blocks(errors: list[str]) -> ApiError:
    # Slack answers HTTP 200 with the offending json-pointers in "errors" and response_metadata.messages.
    return ApiError("invalid_blocks", errors=errors, response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})


class SlackWorkspace:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.bot_not_in: set[str] = set()  # channels whose chat.postMessage answers not_in_channel
        self._clock = clock
        self._ids = Ids()
        self._users: dict[str, User] = {}
        self._dms: dict[str, str] = {}
        self._messages: list[Message] = []
        self._views: dict[str, dict] = {}  # every modal ever opened/pushed, by id, latest version
        self._home: dict[str, dict] = {}
        self._triggers_used: set[str] = set()
        self._triggers_issued: dict[str, float] = {}
        self.trigger_ttl: float | None = None  # Slack expires trigger ids after 3 s; off by default (slow CI)
        self._warnings: list[str] = []

    # ---- test-facing helpers -------------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/Berlin",
        is_bot: bool = False,
        deleted: bool = False,
        **extra: Any,
    ) -> User:
        user = User(user_id, name or user_id.lower(), real_name or name or user_id, tz, is_bot, deleted, **extra)
        self._users[user_id] = user
        return user

    def dm_channel(self, user_id: str) -> str:
        """Stable DM id per user: ``U0ALICE`` -> ``D0ALICE`` (readable in assertion output)."""
        return self._dms.setdefault(user_id, "D" + user_id[1:])

    def messages(self, channel: str | None = None, thread_ts: str | None = None, *, include_deleted: bool = False):
        """Non-ephemeral messages, oldest first. ``channel`` may be a user id (means that user's DM)."""
        if channel is not None and channel[:1] in ("U", "W"):
            channel = self.dm_channel(channel)
        return [
            m
            for m in self._messages
            if m.ephemeral_user is None
            and (include_deleted or not m.deleted)
            and (channel is None or m.channel == channel)
            and (thread_ts is None or m.thread_ts == thread_ts)
        ]

    def ephemeral_messages(self, user: str | None = None, channel: str | None = None) -> list[Message]:
        return [
            m
            for m in self._messages
            if m.ephemeral_user and user in (None, m.ephemeral_user) and channel in (None, m.channel)
        ]

    def message(self, channel: str, ts: str) -> Message | None:
        # Newest first: the message an app answers or edits is nearly always recent (an oldest-first scan made a
        # 10,000-prompt benchmark quadratic on the fake's side). A ts is unique in its channel.
        return next(
            (m for m in reversed(self._messages) if m.channel == channel and m.ts == ts and not m.deleted), None
        )

    def home_view(self, user_id: str) -> dict | None:
        return self._home.get(user_id)

    @property
    def open_views(self) -> list[dict]:
        """Modals opened or pushed (latest version of each), in opening order. Slack never tells apps about
        closes unless notify_on_close, so neither do we: the list only grows."""
        return list(self._views.values())

    def user(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def new_ts(self) -> str:
        """A fresh message ts from the same sequence as posted messages (for user messages sent inbound)."""
        return self._ids.ts()

    def issue_trigger_id(self) -> str:
        trigger = self._ids.trigger_id()
        self._triggers_issued[trigger] = self._clock()
        return trigger

    # ---- dispatch ------------------------------------------------------------------------------------------
    def dispatch(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            raise ApiError("unknown_method")
        return {"ok": True, **handler(args)}

    # ---- shared validation ---------------------------------------------------------------------------------
    def _post_channel(self, channel: Any) -> str:
        # chat.postMessage accepts a user id and posts into the bot<->user DM (real Slack behaviour).
        if isinstance(channel, str) and channel[:1] in ("U", "W") and len(channel) > 1:
            return self.dm_channel(channel)
        return self._channel(channel)

    @staticmethod
    def _channel(channel: Any) -> str:
        if isinstance(channel, str) and channel[:1] in ("C", "G", "D") and len(channel) > 1:
            return channel
        raise ApiError("channel_not_found")

    def _message_content(self, args: dict[str, Any], *, require: bool = True) -> None:
        text, blocks, attachments = args.get("text"), args.get("blocks"), args.get("attachments")
        if require and not text and not blocks and not attachments:
            raise ApiError("no_text")
        if blocks is not None:
            errors = check_blocks(blocks, limit=MESSAGE_BLOCK_LIMIT)
            if errors:
                raise _invalid_blocks(errors)
            if not text:
                # Slack accepts this but screen readers/notifications get nothing; tests assert it never happens.
                self._warnings.append("missing_text_fallback")

    def _existing(self, args: dict[str, Any], ts_key: str = "ts") -> Message:
        msg = self.message(self._channel(args.get("channel")), str(args.get(ts_key, "")))
        if msg is None:
            raise ApiError("message_not_found")
        return msg

    def _use_trigger(self, trigger_id: Any) -> None:
        if not trigger_id:
            raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing trigger_id"]})
        if trigger_id in self._triggers_used:
            raise ApiError("invalid_trigger_id")
        issued = self._triggers_issued.get(trigger_id)
        if self.trigger_ttl is not None and issued is not None and self._clock() - issued > self.trigger_ttl:
            raise ApiError("expired_trigger_id")
        self._triggers_used.add(trigger_id)

    def _store_view(self, view: Any, *, types: tuple[str, ...], view_id: str | None = None, **meta: Any) -> dict:
        errors = check_view(view, allowed_types=types)
        if errors:
            raise _invalid_blocks(errors)
        view_id = view_id or self._ids.next("V")
        stored = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view["type"],
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": hashlib.sha1(f"{view_id}{self._clock()}{len(self._views)}".encode()).hexdigest()[:20],
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "external_id": view.get("external_id", ""),
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "app_installed_team_id": TEAM_ID,
            "root_view_id": view_id,
            "previous_view_id": None,
            **meta,
        }
        return stored

    def _new_message(self, channel: str, args: dict[str, Any], **extra: Any) -> Message:
        msg = Message(
            channel=channel,
            ts=self._ids.ts(),
            text=args.get("text"),
            blocks=args.get("blocks"),
            thread_ts=args.get("thread_ts"),
            attachments=args.get("attachments"),
            **extra,
        )
        msg.original = {"text": msg.text, "blocks": msg.blocks, "attachments": msg.attachments}
        self._messages.append(msg)
        return msg

    def _edit(self, msg: Message, args: dict[str, Any]) -> None:
        # Fields not sent are kept, as Slack does for chat.update.
        for key in ("text", "blocks", "attachments"):
            if key in args:
                setattr(msg, key, args[key])
        msg.edits.append({"text": msg.text, "blocks": msg.blocks, "attachments": msg.attachments})

    # ---- API methods ---------------------------------------------------------------------------------------
    def api_auth_test(self, args: dict) -> dict:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "OKR Test",
            "user": "okrbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def api_apps_connections_open(self, args: dict) -> dict:
        # A Socket Mode URL nothing listens on: only the token check at start calls this against the fake.
        return {"url": "wss://127.0.0.1:9/link/?ticket=fake"}

    def api_chat_postMessage(self, args: dict) -> dict:
        channel = self._post_channel(args.get("channel"))
        if channel in self.bot_not_in:
            raise ApiError("not_in_channel")  # Slack: a public channel the bot was never invited to
        self._message_content(args)
        msg = self._new_message(channel, args)
        return {"channel": channel, "ts": msg.ts, "message": msg.to_slack()}

    def api_chat_postEphemeral(self, args: dict) -> dict:
        channel = self._post_channel(args.get("channel"))
        if not args.get("user"):
            raise ApiError("user_not_in_channel")
        self._message_content(args)
        msg = self._new_message(channel, args, ephemeral_user=args["user"])
        return {"message_ts": msg.ts}

    def api_chat_update(self, args: dict) -> dict:
        msg = self._existing(args)
        self._message_content(args, require=False)
        self._edit(msg, args)
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text or "", "message": msg.to_slack()}

    def api_chat_delete(self, args: dict) -> dict:
        msg = self._existing(args)
        msg.deleted = True
        return {"channel": msg.channel, "ts": msg.ts}

    def api_chat_getPermalink(self, args: dict) -> dict:
        msg = self._existing(args, ts_key="message_ts")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{msg.channel}/p{msg.ts.replace('.', '')}"
        if msg.thread_ts:
            link += f"?thread_ts={msg.thread_ts}&cid={msg.channel}"
        return {"channel": msg.channel, "permalink": link}

    def api_conversations_open(self, args: dict) -> dict:
        if args.get("channel"):
            return {"channel": {"id": self._channel(args["channel"])}}
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            raise ApiError("users_list_not_supplied")
        if len(users) == 1:
            return {"channel": {"id": self.dm_channel(users[0])}}
        return {"channel": {"id": "G" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()}}

    def api_users_info(self, args: dict) -> dict:
        user = self._users.get(str(args.get("user")))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": user.to_slack(self._clock())}

    def api_users_list(self, args: dict) -> dict:
        users = list(self._users.values())
        start = 0
        if args.get("cursor"):
            try:
                start = int(base64.b64decode(str(args["cursor"])).decode().removeprefix("offset:"))
            except ValueError as exc:
                raise ApiError("invalid_cursor") from exc
        limit = int(args.get("limit") or 0) or len(users) or 1  # Slack: limit 0 / absent = everything
        page = users[start : start + limit]
        more = start + limit < len(users)
        cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
        now = self._clock()
        return {
            "members": [u.to_slack(now) for u in page],
            "cache_ts": int(now),
            "response_metadata": {"next_cursor": cursor},
        }

    def api_views_open(self, args: dict) -> dict:
        self._use_trigger(args.get("trigger_id"))
        view = self._store_view(args.get("view"), types=("modal",))
        self._views[view["id"]] = view
        return {"view": view}

    def api_views_push(self, args: dict) -> dict:
        self._use_trigger(args.get("trigger_id"))
        top = next(reversed(self._views.values()), None)
        meta = {"root_view_id": top["root_view_id"], "previous_view_id": top["id"]} if top else {}
        view = self._store_view(args.get("view"), types=("modal",), **meta)
        self._views[view["id"]] = view
        return {"view": view}

    def api_views_update(self, args: dict) -> dict:
        current = self._views.get(str(args.get("view_id")))
        if current is None and args.get("external_id"):
            current = next((v for v in self._views.values() if v["external_id"] == args["external_id"]), None)
        if current is None:
            raise ApiError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        keep = {"root_view_id": current["root_view_id"], "previous_view_id": current["previous_view_id"]}
        view = self._store_view(args.get("view"), types=("modal",), view_id=current["id"], **keep)
        self._views[view["id"]] = view
        return {"view": view}

    def api_views_publish(self, args: dict) -> dict:
        user_id = args.get("user_id")
        if not user_id:
            raise ApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing user_id"]})
        previous = self._home.get(user_id)
        if args.get("hash") and previous and args["hash"] != previous["hash"]:
            raise ApiError("hash_conflict")
        view = self._store_view(args.get("view"), types=("home",), view_id=previous["id"] if previous else None)
        self._home[user_id] = view
        return {"view": view}
