"""Chat forms: parsing only. Rules live in forum.chat.services and policy."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from forum.chat.policy import ACCESS_LABELS


class RoomForm(FlaskForm):
    name = StringField("Room name", validators=[InputRequired("Give the room a name."), Length(max=100)])
    slug = StringField("Web address", validators=[InputRequired("Choose a web address."), Length(max=64)])
    description = TextAreaField("Description", validators=[Length(max=2000)])
    guidelines = TextAreaField("Guidelines shown on entry", validators=[Length(max=4000)])
    board_id = SelectField("Linked board", coerce=int, validators=[Optional()])
    access = RadioField("Who can join", choices=[SelectChoice(k, v) for k, v in ACCESS_LABELS.items()], default="members")
    min_approved_posts = IntegerField("Approved posts needed (restricted rooms)", default=0,
                                      validators=[Optional(), NumberRange(min=0, max=10_000)])
    tz = StringField("Time zone for opening hours", default="Europe/London", validators=[Length(max=64)])
    hours = TextAreaField("Opening hours (leave empty for always open)", validators=[Length(max=1000)])
