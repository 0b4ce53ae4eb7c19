"""Board forms: parsing only. The rules live in forum.boards.services."""
from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length, Optional

from forum.web import MemberStringField, MemberTextField

CW_HINT = ("If your post talks about something that might be hard to read (for example self-harm, "
           "suicidal feelings, abuse or an eating disorder), add a few words here. Readers will see "
           "only this warning until they choose to open your post.")


class _PostFields(FlaskForm):
    # Lengths are checked by the service with a friendlier message; the form
    # only guards against absurd input.
    body = MemberTextField("Your post", validators=[Optional()])
    content_warning = MemberStringField("Content warning (optional)", validators=[Optional(), Length(max=200)])
    # A new key each time the form is shown; a resubmission of the same form
    # (after a cut-off request) carries the same key and is not stored twice.
    submission_key = HiddenField(default=lambda: secrets.token_urlsafe(18), validators=[Length(max=64)])


class ReplyForm(_PostFields):
    body = MemberTextField("Your reply", validators=[Optional()])
    anonymous = BooleanField("Post anonymously")
    reply_to = HiddenField()


class TopicForm(_PostFields):
    title = MemberStringField("Title", validators=[Optional()])
    anonymous = BooleanField("Post anonymously")


class EditForm(_PostFields):
    reason = StringField("What did you change? (optional)", validators=[Optional(), Length(max=200)])


class ConfirmForm(FlaskForm):
    """A bare form: CSRF only (delete, support, ...)."""
