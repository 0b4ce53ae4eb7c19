"""Search over topic titles and posts: one interface, two back-ends.

``search(viewer, SearchQuery(...))`` runs the query on SQLite FTS5 or on
PostgreSQL full-text search (forum.search.schema), whichever database the
app runs on. Who may see what is part of the SQL (``_visible``), so a post
a viewer could not read is never matched, counted or ranked for them:

- everyone: visible posts in visible topics;
- a member: also their own held or hidden posts;
- moderators: held and hidden posts too; deleted posts are found by no one.

Only post text and opening-post titles are indexed: moderators' notes,
chat and private conversations are not searchable at all. Anonymous posts
are found by their words, but the "by member" filter never matches them,
so nobody can list what an account wrote anonymously.

Snippets are cut from the stored, sanitised ``body_html`` (as plain text)
and escaped before the matched words are wrapped in ``<mark>``.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from markupsafe import Markup
from sqlalchemy import Select, and_, false, func, literal_column, or_, select, table
from sqlalchemy.orm import contains_eager, defer, joinedload

from forum.extensions import db
from forum.models import Board, ContentStatus, Post, Topic, User
from forum.search import schema

V = ContentStatus
MAX_TERMS = 8
MAX_TERM_CHARS = 40
SNIPPET_WORDS = 36
ORDERS = ("relevance", "newest")


class SearchError(ValueError):
    """A query the form should explain (shown beside the search box)."""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    board: str | None = None  # board slug
    since: date | None = None
    until: date | None = None
    order: str = "relevance"
    author: str | None = None  # a handle; never matches anonymous posts
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    post: Post
    snippet: Markup | None  # None when the post has a content warning
    title: str
    board: Board


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    terms: list[str]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def terms_of(text: str) -> list[str]:
    """The words of a query: runs of letters and digits, case-folded.

    Everything else (quotes, operators, column filters) is dropped, so a
    member's query can never be read as FTS5 or tsquery syntax.
    """
    words: list[str] = []
    current: list[str] = []
    for ch in (text or "") + " ":
        if ch.isalnum():
            current.append(ch)
        elif current:
            word = "".join(current).casefold()[:MAX_TERM_CHARS]
            current = []
            if word not in words:
                words.append(word)
    return words[:MAX_TERMS]


# -- back-ends ----------------------------------------------------------------

_FTS = schema.SQLITE_TABLE
_fts = table(_FTS, literal_column("rowid"))
# Relevance is ranked among the newest matches only: a word in most posts
# would otherwise mean scoring every post on every search. Newest-first
# needs no cap (both back-ends read matches in id order and stop early).
RANK_CANDIDATES = 1000


class SqliteBackend:
    name = "sqlite-fts5"

    @staticmethod
    def _match(terms: list[str]):
        # Each term quoted: FTS5 reads it as a plain phrase, never as syntax.
        return literal_column(_FTS).op("MATCH")(" ".join('"' + t.replace('"', "") + '"' for t in terms))

    def newest(self, stmt: Select, terms: list[str]) -> Select:
        rowid = literal_column(f"{_FTS}.rowid")
        return stmt.join(_fts, rowid == Post.id).where(self._match(terms)).order_by(rowid.desc())

    def relevance(self, stmt: Select, terms: list[str]) -> Select:
        # bm25 is lower-is-better; a title match weighs more than the body.
        rowid = literal_column(f"{_FTS}.rowid")
        cand = (select(rowid.label("id"), func.bm25(literal_column(_FTS), 4.0, 1.0).label("score"))
                .select_from(_fts).where(self._match(terms)).order_by(rowid.desc()).limit(RANK_CANDIDATES)
                .subquery())
        return stmt.join(cand, cand.c.id == Post.id).order_by(cand.c.score.asc(), Post.id.desc())


class PostgresBackend:
    name = "postgresql-tsvector"

    @staticmethod
    def _query(terms: list[str]):
        return func.plainto_tsquery(schema.PG_CONFIG, " ".join(terms))

    def newest(self, stmt: Select, terms: list[str]) -> Select:
        vector = literal_column(f"posts.{schema.PG_COLUMN}")
        return stmt.where(vector.op("@@")(self._query(terms))).order_by(Post.id.desc())

    def relevance(self, stmt: Select, terms: list[str]) -> Select:
        vector = literal_column(f"p.{schema.PG_COLUMN}")
        query = self._query(terms)
        cand = (select(literal_column("p.id").label("id"), func.ts_rank_cd(vector, query).label("score"))
                .select_from(table("posts").alias("p")).where(vector.op("@@")(query))
                .order_by(literal_column("p.id").desc()).limit(RANK_CANDIDATES).subquery())
        return stmt.join(cand, cand.c.id == Post.id).order_by(cand.c.score.desc(), Post.id.desc())


def backend() -> SqliteBackend | PostgresBackend:
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        return SqliteBackend()
    if dialect == "postgresql":
        return PostgresBackend()
    raise RuntimeError(f"search has no back-end for the {dialect} database")


# -- visibility ---------------------------------------------------------------

def _visible(viewer: Any):
    """Posts the viewer may find (the same rule as reading the topic)."""
    public = and_(Post.status == V.VISIBLE, Topic.status == V.VISIBLE)
    if not getattr(viewer, "is_authenticated", False):
        return public
    if viewer.is_moderator:
        return and_(Post.status != V.DELETED, Topic.status != V.DELETED)
    own = and_(Post.author_id == viewer.id, Post.status.in_((V.HELD, V.HIDDEN)),
               or_(Topic.status == V.VISIBLE, and_(Topic.author_id == viewer.id, Topic.status != V.DELETED)))
    return or_(public, own)


# A result needs neither the stored verdicts nor the source text.
_RESULT_OPTIONS = (defer(Post.verdict), defer(Post.verdict_categories), defer(Post.body_source),
                   joinedload(Post.author).load_only(User.id, User.handle, User.role))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def search(viewer: Any, q: SearchQuery) -> Results:
    terms = terms_of(q.text)
    if not terms:
        raise SearchError("Please type a word or two to search for.")
    if q.order not in ORDERS:
        raise SearchError("Results can be ordered by relevance or newest first.")
    if q.since and q.until and q.since > q.until:
        raise SearchError("The 'from' date is after the 'to' date.")
    stmt = (select(Post).join(Topic, Post.topic_id == Topic.id).join(Board, Topic.board_id == Board.id)
            .where(_visible(viewer)))
    if q.board:
        stmt = stmt.where(Board.slug == q.board)
    if q.since:
        stmt = stmt.where(Post.created_at >= _day_start(q.since))
    if q.until:
        stmt = stmt.where(Post.created_at < _day_start(q.until + timedelta(days=1)))
    if q.author:
        from forum.auth.services import handle_key

        # A closed account keeps its handle reserved for a while, but its posts
        # (now "Former member") must not be found by it.
        author_id = select(User.id).where(User.handle_key == handle_key(q.author),
                                          User.is_deactivated.is_(False)).scalar_subquery()
        # Anonymous posts never match a search by author, for any viewer.
        stmt = stmt.where(Post.author_id == author_id, Post.is_anonymous.is_(False)) if q.author.strip() \
            else stmt.where(false())
    # "Newest" is the order of writing (ids), which both indexes read in order.
    engine = backend()
    stmt = engine.relevance(stmt, terms) if q.order == "relevance" else engine.newest(stmt, terms)
    # One row more than a page says whether there is a next page without
    # counting every match (a count would read all of them on every search).
    stmt = (stmt.options(contains_eager(Post.topic).contains_eager(Topic.board), *_RESULT_OPTIONS)
            .limit(q.per_page + 1).offset((q.page - 1) * q.per_page))
    posts = list(db.session.scalars(stmt).unique())
    hits = [Hit(post=p, snippet=None if p.content_warning else snippet(p.body_html, terms),
                title=p.topic.title, board=p.topic.board) for p in posts[:q.per_page]]
    return Results(hits=hits, terms=terms, page=q.page, has_next=len(posts) > q.per_page)


# -- snippets -----------------------------------------------------------------

_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def _stem(term: str) -> str:
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 3:
            return term[: -len(suffix)]
    return term


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})
# Long posts: the window is looked for in the first part only (a snippet, not a reading).
SNIPPET_SCAN_CHARS = 20_000


def _esc(text: str) -> str:
    return text.translate(_ESCAPES)


def _word_spans(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of letters and digits from ``start`` on, as needed."""
    begin = None
    for i in range(start, len(text)):
        if text[i].isalnum():
            if begin is None:
                begin = i
        elif begin is not None:
            yield begin, i
            begin = None
    if begin is not None:
        yield begin, len(text)


def _first_match(text: str, stems: tuple[str, ...]) -> int:
    """Offset of the first word starting with one of ``stems`` (0 if none).

    ``str.find`` on the case-folded text does the scanning where folding
    keeps every offset (nearly all text); a word-by-word scan otherwise.
    """
    folded = text.casefold()
    if len(folded) == len(text):
        best = -1
        for stem in stems:
            at = folded.find(stem)
            while at > 0 and text[at - 1].isalnum():  # inside a word: not a match
                at = folded.find(stem, at + 1)
            if at != -1 and (best == -1 or at < best):
                best = at
        return max(best, 0)
    return next((s for s, e in _word_spans(text) if text[s:e].casefold().startswith(stems)), 0)


def _words_back(text: str, at: int, count: int) -> tuple[int, bool]:
    """Where the ``count``-th word before offset ``at`` starts, and whether more words come before it."""
    start, i, seen = at, at, 0
    while i > 0 and seen < count:
        i -= 1
        if text[i].isalnum() and (i == 0 or not text[i - 1].isalnum()):
            seen, start = seen + 1, i
    return start, any(ch.isalnum() for ch in reversed(text[:start]))


def snippet(body_html: str, terms: list[str], words: int = SNIPPET_WORDS) -> Markup:
    """A window of the post's text around the first match, matched words marked.

    Built from the stored sanitised HTML reduced to its text, then escaped
    (every character that could start markup): the only markup in the
    result is our own ``<mark>``. Only the window is split into words, not
    the whole post.
    """
    text = Markup(body_html[:SNIPPET_SCAN_CHARS]).striptags()
    stems = tuple(_stem(t) for t in terms)
    start, more_before = _words_back(text, _first_match(text, stems), words // 3)
    spans = list(islice(_word_spans(text, start), words + 1))
    if not spans:
        return Markup("")
    more_after = len(spans) > words

    def matches(span: tuple[int, int]) -> bool:
        return text[span[0]:span[1]].casefold().startswith(stems)

    spans = spans[:words]
    out: list[str] = ["… "] if more_before else []
    pos = spans[0][0]
    # Text is cut only around matched words; everything between is escaped in one piece.
    for span in spans:
        if matches(span):
            out.append(_esc(text[pos:span[0]]))
            out.append(f"<mark>{_esc(text[span[0]:span[1]])}</mark>")
            pos = span[1]
    if more_after:
        out.append(_esc(text[pos:spans[-1][1]]))
        out.append(" …")
    else:
        out.append(_esc(text[pos:].rstrip()))
    return Markup("".join(out))  # noqa: S704 - every piece of member text above went through _esc
