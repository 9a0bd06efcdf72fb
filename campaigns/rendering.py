"""Compile messages into cached Jinja2 templates and render them per contact.

Marketer content never becomes template source as written. Compiling
builds the source itself: literal text goes inside `{% raw %}` chunks, and
only expressions made here read the per-contact context, which contains plain
strings, booleans and two functions. The sandbox is a second fence.

Email compiling:
1. Turn the blocks into MJML, with merge tags, links and targeted blocks
   written as opaque tokens and comment markers.
2. Render MJML to responsive HTML (mjml-python) and inline its CSS
   (css-inline), once per message version.
3. Replace the tokens with Jinja expressions and the markers with
   `{% if show[N] %}`, then compile the result once.
Rendering one contact is then one cached template render (tens of
microseconds), far below the cost of building the MIME message.
"""

import hashlib
import html
import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import css_inline
from django.utils import translation
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment
from mjml import mjml2html

from campaigns import merge
from campaigns.blocks import TEXT_LINK_RE, iter_blocks, texts_of
from campaigns.models import Message
from smoove.models import Account

# Compiled messages kept per process. One entry is a few templates of
# tens of kilobytes, so 256 entries stay within a few megabytes.
COMPILED_CACHE_SIZE = 256
URL_RE = re.compile(r"https?://[^\s<>\"']+")

_environment = SandboxedEnvironment(
    autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True, cache_size=0
)
_inliner = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


@dataclass(frozen=True)
class LinkSpec:
    """A link as written in a message: its target URL, or a smart button's action."""

    kind: str  # MessageLink.Kind value
    url: str = ""
    action: tuple[tuple[str, str], ...] = ()
    label: str = ""

    @property
    def digest(self) -> str:
        payload = json.dumps([self.kind, self.url, list(self.action), self.label])
        return hashlib.sha256(payload.encode()).hexdigest()

    def action_dict(self) -> dict[str, str]:
        return dict(self.action)


@dataclass
class RecipientContext:
    """Per-contact rendering input: field values, rule results and URLs."""

    values: dict[str, str]
    shown: list[bool]
    link_url: Callable[[int], str]
    pixel_url: str = ""
    unsubscribe_url: str = ""

    def as_template_context(self) -> dict[str, Any]:
        return {
            "v": self.values,
            "show": self.shown,
            "link": self.link_url,
            "pixel": self.pixel_url,
            "unsubscribe": self.unsubscribe_url,
        }


@dataclass
class Compiled:
    """A message compiled for one account's fields; rules and links are indexed."""

    rules: list[dict[str, Any]] = field(default_factory=list)
    links: list[LinkSpec] = field(default_factory=list)
    # (rule index, template) in order; the first whose rule matches wins.
    subject_rules: list[tuple[int, Template]] = field(default_factory=list)
    subject: Template | None = None
    preheader: Template | None = None
    html: Template | None = None
    text: Template | None = None
    # One URL template per link, rendered when a click is redirected.
    link_urls: list[Template] = field(default_factory=list)
    # WhatsApp template variables: (number, value template, fallback).
    variables: list[tuple[str, Template, str]] = field(default_factory=list)

    def render_subject(self, context: RecipientContext) -> str:
        values = context.as_template_context()
        for rule_index, template in self.subject_rules:
            if context.shown[rule_index]:
                return template.render(values).strip()
        return self.subject.render(values).strip() if self.subject else ""

    def render_html(self, context: RecipientContext) -> str:
        return self.html.render(context.as_template_context()) if self.html else ""

    def render_text(self, context: RecipientContext) -> str:
        return self.text.render(context.as_template_context()) if self.text else ""

    def render_link(self, index: int, values: dict[str, str]) -> str:
        return self.link_urls[index].render({"v": values}).strip()

    def render_variables(self, context: RecipientContext) -> dict[str, str]:
        """Return the WhatsApp template variables for one contact, as Twilio takes them."""
        from campaigns.whatsapp import clean_value

        values = context.as_template_context()
        return {
            number: clean_value(template.render(values), fallback)
            for number, template, fallback in self.variables
        }


class _Builder:
    """Collects rules, links and the Jinja expressions behind tokens while compiling."""

    def __init__(self, fields: merge.FieldIndex) -> None:
        self.fields = fields
        self.nonce = secrets.token_hex(4)
        self.expressions: dict[str, str] = {}
        self.rules: list[dict[str, Any]] = []
        self.links: list[LinkSpec] = []

    def token(self, expression: str) -> str:
        token = f"zq{self.nonce}t{len(self.expressions)}q"
        self.expressions[token] = expression
        return token

    def rule_index(self, rule: dict[str, Any] | None) -> int | None:
        if not rule or not rule.get("rules"):
            return None
        if rule not in self.rules:
            self.rules.append(rule)
        return self.rules.index(rule)

    def link_index(self, spec: LinkSpec) -> int:
        if spec not in self.links:
            self.links.append(spec)
        return self.links.index(spec)

    def if_marker(self, rule_index: int) -> str:
        return f"<!--zq{self.nonce}if{rule_index}-->"

    def end_marker(self) -> str:
        return f"<!--zq{self.nonce}end-->"

    def tag_expression(self, tag: merge.MergeTag, escape: str) -> str:
        value = f"(v.get({json.dumps(tag.key)}) or {json.dumps(tag.fallback)})"
        return f"{value}|{escape}" if escape else value

    def marked_up(self, text: str, *, links: bool = False) -> str:
        """Return text HTML-escaped, with tokens for its merge tags and, if asked, links."""
        out: list[str] = []
        position = 0
        matches = list(TEXT_LINK_RE.finditer(text)) if links else []
        for match in matches:
            out.append(self._escaped_with_tags(text[position : match.start()]))
            index = self.link_index(LinkSpec("url", url=match.group(2), label=match.group(1)))
            href = self.token(f"link({index})|e")
            label = self._escaped_with_tags(match.group(1))
            out.append(f'<a href="{href}" style="color:#5b3cc4">{label}</a>')
            position = match.end()
        out.append(self._escaped_with_tags(text[position:]))
        return "".join(out)

    def _escaped_with_tags(self, text: str) -> str:
        out = []
        for part in merge.parse(text, self.fields):
            if isinstance(part, merge.MergeTag):
                out.append(self.token(self.tag_expression(part, "e")))
            else:
                out.append(html.escape(part))
        return "".join(out)

    def jinja_text(self, text: str, escape: str = "") -> str:
        """Return Jinja source printing text with its merge tags filled in."""
        out = []
        for part in merge.parse(text, self.fields):
            if isinstance(part, merge.MergeTag):
                out.append("{{ " + self.tag_expression(part, escape) + " }}")
            else:
                out.append(literal(part))
        return "".join(out)

    def to_jinja(self, markup: str) -> str:
        """Replace tokens and markers in rendered markup with Jinja source."""
        pattern = re.compile(
            rf"zq{self.nonce}t\d+q|<!--zq{self.nonce}if(\d+)-->|<!--zq{self.nonce}end-->"
        )
        out: list[str] = []
        position = 0
        for match in pattern.finditer(markup):
            out.append(literal(markup[position : match.start()]))
            found = match.group(0)
            if match.group(1) is not None:
                out.append("{% if show[" + match.group(1) + "] %}")
            elif found.endswith("end-->"):
                out.append("{% endif %}")
            else:
                out.append("{{ " + self.expressions[found] + " }}")
            position = match.end()
        out.append(literal(markup[position:]))
        return "".join(out)


def literal(text: str) -> str:
    """Return Jinja source that prints text exactly, whatever braces it contains."""
    if not text:
        return ""
    # A raw block ends at the first "{%", so no chunk may contain one.
    chunks = text.split("{%")
    return '{{ "{%" }}'.join(
        "{% raw %}" + chunk + "{% endraw %}" if chunk else "" for chunk in chunks
    )


def _compile_source(source: str) -> Template:
    return _environment.from_string(source)


class _LruCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, Compiled] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Compiled | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: str, value: Compiled) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_cache = _LruCache(COMPILED_CACHE_SIZE)


@dataclass(frozen=True)
class Sender:
    name: str
    email: str
    reply_to: str
    contact: str


def sender_of(message: Message, account: Account, override: dict[str, str] | None = None) -> Sender:
    """Return the message's sender: the variant's override, the message's, else the account's."""
    override = override or {}
    return Sender(
        name=override.get("sender_name")
        or message.sender_name
        or account.default_sender_name
        or account.name,
        email=override.get("sender_email") or message.sender_email or account.default_sender_email,
        reply_to=message.reply_to,
        contact=message.sender_contact,
    )


def compile_message(
    message: Message, fields: merge.FieldIndex, *, subject: str | None = None
) -> Compiled:
    """Compile a message (with a variant's subject, if given); cached per content and fields."""
    key_material = json.dumps(
        [
            message.pk,
            message.channel,
            subject if subject is not None else message.subject,
            message.preheader,
            message.subject_rules,
            message.blocks,
            message.text,
            message.is_advertising,
            message.sender_name,
            message.sender_contact,
            message.whatsapp_content_sid,
            message.whatsapp_variables,
            message.account.name,
            message.account.default_sender_name,
            message.account.language,
            sorted((key, spec.label, spec.aliases) for key, spec in fields.specs.items()),
        ],
        sort_keys=True,
        default=str,
    )
    key = hashlib.sha256(key_material.encode()).hexdigest()
    compiled = _cache.get(key)
    if compiled is None:
        with translation.override(message.account.language or "he"):
            if message.channel == "email":
                compiled = _compile_email(message, fields, subject)
            else:
                compiled = _compile_short_text(message, fields)
        _cache.put(key, compiled)
    return compiled


def _compile_subjects(
    builder: _Builder, compiled: Compiled, message: Message, subject: str | None
) -> None:
    compiled.subject = _compile_source(
        builder.jinja_text(subject if subject is not None else message.subject)
    )
    for item in message.subject_rules or []:
        index = builder.rule_index(item.get("rule"))
        if index is not None:
            template = _compile_source(builder.jinja_text(str(item.get("subject") or "")))
            compiled.subject_rules.append((index, template))


def _compile_email(message: Message, fields: merge.FieldIndex, subject: str | None) -> Compiled:
    builder = _Builder(fields)
    compiled = Compiled()
    _compile_subjects(builder, compiled, message, subject)
    compiled.preheader = _compile_source(builder.jinja_text(message.preheader))

    rtl = (message.account.language or "he") == "he"
    mjml_source = _mjml_document(message, builder, rtl=rtl)
    rendered = mjml2html(mjml_source)
    inlined = _inliner.inline(rendered)
    compiled.html = _compile_source(builder.to_jinja(inlined))
    compiled.text = _compile_source(_text_source(message, builder))
    compiled.rules = builder.rules
    compiled.links = builder.links
    compiled.link_urls = [_compile_source(_url_source(link.url, builder)) for link in builder.links]
    return compiled


def _url_source(url: str, builder: _Builder) -> str:
    """Return Jinja source of a link: tag values are URL-encoded, except a leading one.

    A tag at the very start contains a whole address (a "website" field), so
    encoding its colon and slashes would break it.
    """
    leading = merge.TAG_RE.match(url)
    if leading:
        head = builder.jinja_text(leading.group(0))
        return head + builder.jinja_text(url[leading.end() :], escape="urlencode")
    return builder.jinja_text(url, escape="urlencode") if url else ""


def render_url(url: str, fields: merge.FieldIndex, values: dict[str, str]) -> str:
    """Return a link as written, with its merge tags filled in (URL-encoded)."""
    return _compile_source(_url_source(url, _Builder(fields))).render({"v": values}).strip()


def _compile_short_text(message: Message, fields: merge.FieldIndex) -> Compiled:
    """Compile an SMS or WhatsApp text: merge tags, tracked links, the refusal line."""
    builder = _Builder(fields)
    compiled = Compiled()
    text = message.text
    source: list[str] = []
    position = 0
    for match in URL_RE.finditer(text):
        source.append(builder.jinja_text(text[position : match.start()]))
        index = builder.link_index(LinkSpec("url", url=match.group(0)))
        source.append("{{ link(" + str(index) + ") }}")
        position = match.end()
    source.append(builder.jinja_text(text[position:]))
    if message.is_advertising:
        sender = sender_of(message, message.account)
        line = _("%(sender)s. To stop receiving these messages: %(url)s") % {
            "sender": sender.name,
            "url": "\x00",
        }
        before, after = line.split("\x00")
        source.append(literal("\n" + before) + "{{ unsubscribe }}" + literal(after))
    compiled.text = _compile_source("".join(source))
    if message.whatsapp_content_sid:
        from campaigns.whatsapp import ordered

        compiled.variables = [
            (str(number), _compile_source(builder.jinja_text(item["value"])), item["fallback"])
            for number, item in ordered(message.whatsapp_variables or {})
        ]
    compiled.rules = builder.rules
    compiled.links = builder.links
    compiled.link_urls = [_compile_source(_url_source(link.url, builder)) for link in builder.links]
    return compiled


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _mjml_document(message: Message, builder: _Builder, *, rtl: bool) -> str:
    align = "right" if rtl else "left"
    direction = "rtl" if rtl else "ltr"
    language = message.account.language or "he"
    preheader = builder.marked_up(message.preheader) if message.preheader else ""
    parts = [
        f'<mjml lang="{language}" dir="{direction}"><mj-head>',
        "<mj-attributes>",
        '<mj-all font-family="Arial, Helvetica, sans-serif" />',
        f'<mj-text align="{align}" font-size="16px" line-height="1.6" color="#1f2430" />',
        '<mj-button background-color="#5b3cc4" color="#ffffff" font-size="16px" '
        'border-radius="6px" inner-padding="12px 24px" />',
        f'<mj-section direction="{direction}" background-color="#ffffff" />',
        # MJML columns default to direction:ltr, which would lay Hebrew text
        # out left to right (punctuation at the wrong end) despite the
        # document's dir attribute.
        f'<mj-column direction="{direction}" />',
        "</mj-attributes>",
        f"<mj-preview>{preheader}</mj-preview>" if preheader else "",
        '</mj-head><mj-body background-color="#f4f4f7">',
    ]
    simple: list[str] = []

    def flush() -> None:
        if simple:
            parts.append("<mj-section><mj-column>" + "".join(simple) + "</mj-column></mj-section>")
            simple.clear()

    has_footer = False
    for block in message.blocks or []:
        kind = block.get("type")
        rule = builder.rule_index(block.get("rule"))
        if kind in ("columns", "footer"):
            flush()
            body = (
                _columns_mjml(block, builder)
                if kind == "columns"
                else _footer_mjml(message, block, builder, align)
            )
            has_footer = has_footer or kind == "footer"
            parts.append(_wrap_raw(body, rule, builder))
        else:
            simple.append(_wrap_raw(_block_mjml(block, builder), rule, builder))
    flush()
    if not has_footer:
        parts.append(_footer_mjml(message, {}, builder, align))
    pixel = builder.token("pixel|e")
    trap = builder.link_index(LinkSpec("trap"))
    trap_href = builder.token(f"link({trap})|e")
    # The trap link is invisible to people; a scanner that follows every
    # link follows it, which marks the delivery's later hits as a scanner's.
    parts.append(
        f'<mj-raw><a href="{trap_href}" style="display:none;font-size:0;color:transparent" '
        'aria-hidden="true" tabindex="-1">&#8203;</a>'
        f'<img src="{pixel}" width="1" height="1" alt="" '
        'style="display:block;height:1px;width:1px;border:0" /></mj-raw>'
    )
    parts.append("</mj-body></mjml>")
    return "".join(parts)


def _wrap_raw(body: str, rule: int | None, builder: _Builder) -> str:
    if rule is None:
        return body
    return (
        f"<mj-raw>{builder.if_marker(rule)}</mj-raw>{body}<mj-raw>{builder.end_marker()}</mj-raw>"
    )


def _columns_mjml(block: dict[str, Any], builder: _Builder) -> str:
    columns = []
    for column in block.get("columns") or []:
        inner = "".join(
            _wrap_raw(_block_mjml(item, builder), builder.rule_index(item.get("rule")), builder)
            for item in column
        )
        columns.append(f"<mj-column>{inner}</mj-column>")
    return "<mj-section>" + "".join(columns) + "</mj-section>"


def _href(block: dict[str, Any], builder: _Builder) -> str:
    if block.get("action"):
        action = tuple(sorted((str(k), str(v)) for k, v in block["action"].items()))
        thanks = str(block.get("thanks") or "")
        spec = LinkSpec("action", action=action, label=thanks or str(block.get("label") or ""))
    else:
        spec = LinkSpec("url", url=str(block.get("url") or ""), label=str(block.get("label") or ""))
    return builder.token(f"link({builder.link_index(spec)})|e")


def _block_mjml(block: dict[str, Any], builder: _Builder) -> str:
    kind = block.get("type")
    if kind == "heading":
        text = builder.marked_up(str(block.get("text") or ""))
        return f'<mj-text font-size="24px" font-weight="700" line-height="1.3">{text}</mj-text>'
    if kind == "text":
        paragraphs = [p for p in re.split(r"\n\s*\n", str(block.get("text") or "")) if p.strip()]
        body = "".join(
            '<p style="margin:0 0 12px">'
            + builder.marked_up(p.strip(), links=True).replace("\n", "<br />")
            + "</p>"
            for p in paragraphs
        )
        return f"<mj-text>{body}</mj-text>"
    if kind == "image":
        src = builder.marked_up(str(block.get("src") or ""))
        alt = builder.marked_up(str(block.get("alt") or ""))
        href = f' href="{_href(block, builder)}"' if block.get("url") else ""
        return f'<mj-image src="{src}" alt="{alt}"{href} />'
    if kind == "button":
        label = builder.marked_up(str(block.get("label") or ""))
        return f'<mj-button href="{_href(block, builder)}">{label}</mj-button>'
    if kind == "divider":
        return '<mj-divider border-color="#dde2ea" border-width="1px" />'
    return ""


def _footer_mjml(message: Message, block: dict[str, Any], builder: _Builder, align: str) -> str:
    sender = sender_of(message, message.account)
    lines = [html.escape(sender.name)]
    if sender.contact:
        lines.append(html.escape(sender.contact))
    elif sender.email:
        lines.append(html.escape(sender.email))
    if block.get("text"):
        lines.append(builder.marked_up(str(block["text"]), links=True))
    unsubscribe = builder.token("unsubscribe|e")
    link_text = html.escape(_("Unsubscribe from these emails"))
    lines.append(f'<a href="{unsubscribe}" style="color:#5f6b7a">{link_text}</a>')
    body = "<br />".join(lines)
    return (
        '<mj-section background-color="#f4f4f7"><mj-column>'
        f'<mj-text font-size="12px" color="#5f6b7a" align="{align}">{body}</mj-text>'
        "</mj-column></mj-section>"
    )


def _text_source(message: Message, builder: _Builder) -> str:
    """Return Jinja source of the plain-text part, block by block."""
    out: list[str] = []
    for block in message.blocks or []:
        out.append(_block_text(block, builder, message))
    if not any(block.get("type") == "footer" for block in message.blocks or []):
        out.append(_block_text({"type": "footer"}, builder, message))
    return "".join(out)


def _block_text(block: dict[str, Any], builder: _Builder, message: Message) -> str:
    kind = block.get("type")
    body = ""
    if kind == "heading":
        body = builder.jinja_text(str(block.get("text") or "")) + literal("\n\n")
    elif kind == "text":
        text = str(block.get("text") or "").strip()
        position = 0
        pieces = []
        for match in TEXT_LINK_RE.finditer(text):
            pieces.append(builder.jinja_text(text[position : match.start()]))
            index = builder.link_index(LinkSpec("url", url=match.group(2), label=match.group(1)))
            pieces.append(builder.jinja_text(match.group(1)) + literal(" ("))
            pieces.append("{{ link(" + str(index) + ") }}" + literal(")"))
            position = match.end()
        pieces.append(builder.jinja_text(text[position:]))
        body = "".join(pieces) + literal("\n\n")
    elif kind == "image" and block.get("alt"):
        body = builder.jinja_text(str(block["alt"])) + literal("\n\n")
    elif kind == "button":
        href = _href(block, builder)
        expression = builder.expressions[href].removesuffix("|e")
        body = (
            builder.jinja_text(str(block.get("label") or ""))
            + literal(": ")
            + "{{ "
            + expression
            + " }}"
            + literal("\n\n")
        )
    elif kind == "divider":
        body = literal("----------\n\n")
    elif kind == "columns":
        body = "".join(
            _block_text(item, builder, message)
            for column in block.get("columns") or []
            for item in column
        )
    elif kind == "footer":
        sender = sender_of(message, message.account)
        lines = [literal("--\n" + sender.name + "\n")]
        if sender.contact or sender.email:
            lines.append(literal((sender.contact or sender.email) + "\n"))
        if block.get("text"):
            lines.append(builder.jinja_text(str(block["text"])) + literal("\n"))
        lines.append(
            literal(_("Unsubscribe from these emails") + ": ") + "{{ unsubscribe }}" + literal("\n")
        )
        body = "".join(lines)
    rule = builder.rule_index(block.get("rule"))
    if rule is not None and body:
        return "{% if show[" + str(rule) + "] %}" + body + "{% endif %}"
    return body


def merge_tag_texts(message: Message) -> list[tuple[str, str]]:
    """Return (where, text) for every text of the message that may hold merge tags."""
    texts = [("subject", message.subject), ("preheader", message.preheader), ("text", message.text)]
    for index, item in enumerate(message.subject_rules or []):
        texts.append((f"subject_rules.{index}", str(item.get("subject") or "")))
    for block in iter_blocks(message.blocks or []):
        for name, value in texts_of(block):
            texts.append((f"block:{block.get('id')}.{name}", value))
    return [(where, text) for where, text in texts if text]
