"""/okr help and the answer to an unknown subcommand."""

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.slack.mrkdwn import clip, esc
from bot.slack.render import Rendered


def _lines(subcommands) -> str:
    seen, rows = set(), []
    for sub in subcommands:
        if sub.usage in seen:
            continue
        seen.add(sub.usage)
        rows.append(f"`{sub.usage}`  {sub.summary}")
    return "\n".join(rows)


def build_help(subcommands) -> Rendered:
    blocks = [
        HeaderBlock(text="okrbot: OKRs in Slack"),
        SectionBlock(text=clip(_lines(subcommands))),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=(
                        "OKRs are visible to everyone. Review notes about a person are private to their line "
                        "managers (up the chain) and HR; nobody reads notes about themselves."
                    )
                )
            ]
        ),
    ]
    return Rendered(text="okrbot help: " + ", ".join(sorted({s.usage for s in subcommands})), blocks=blocks)


def build_unknown(word: str, guess: str | None, subcommands) -> Rendered:
    hint = f" Did you mean `/okr {guess}`?" if guess else ""
    text = f"I don't know `/okr {esc(word)}`.{hint}"
    blocks = [SectionBlock(text=text), SectionBlock(text=clip(_lines(subcommands)))]
    return Rendered(text=f"I don't know /okr {esc(word)}.{hint}", blocks=blocks)
