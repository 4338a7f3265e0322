"""How long a volunteer's details may be: the limits the service checks, for the forms and the API to announce.

The service refuses a longer name, course or team name (and keeps notes to NOTES_LENGTH); the
columns hold as much. A form's ``maxlength`` and a schema's ``Length`` say the same number, so
that a person or a client is told the limit before the service refuses it. The service's own
numeric limits (``MAX_TRAINING_HOURS``, ``MAX_IMPORT_ROWS``) live beside its checks.
"""

from __future__ import annotations

#: a volunteer's name and a guardian's name (``Volunteer.name``, ``Volunteer.guardian_name``)
NAME_LENGTH = 50
#: a training's course (``Training.course``)
COURSE_LENGTH = 100
#: a team's name (``Team.name``)
TEAM_NAME_LENGTH = 100
#: notes for staff; longer ones are cut here
NOTES_LENGTH = 1000
#: a phone number as people type it: the 11 digits with spaces, dashes or +86 around them
PHONE_TYPED_LENGTH = 30
