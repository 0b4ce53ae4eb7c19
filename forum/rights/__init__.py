"""Members' data rights (issue 20): close or erase an account, download
one's data, retention jobs, and the staff side (subject-access requests,
the erasure queue, the data inventory).

Routes live on this area's own blueprint; member routes sit under
``/account/data`` and staff routes under ``/staff/privacy``.
"""
from flask import Blueprint

bp = Blueprint("rights", __name__)

from forum.rights import views  # noqa: E402,F401
