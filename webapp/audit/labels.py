"""How audit actions read in the log; an action missing here shows its code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "user.login": _l("Signed in"),
    "user.create": _l("Created an account"),
    "user.update": _l("Changed an account"),
    "user.password_change": _l("Changed their own password"),
    "user.sign_out_everywhere": _l("Signed an account out everywhere"),
    "volunteer.create": _l("Registered a volunteer"),
    "volunteer.update": _l("Changed a volunteer"),
    "volunteer.import": _l("Imported volunteers"),
    "volunteer.approve": _l("Approved a volunteer"),
    "volunteer.reject": _l("Rejected a volunteer"),
    "volunteer.deactivate": _l("Deactivated a volunteer"),
    "volunteer.reactivate": _l("Reactivated a volunteer"),
    "volunteer.training": _l("Recorded a training"),
    "team.create": _l("Created a team"),
    "ambassador.designate": _l("Designated an ambassador"),
    "volunteer.export": _l("Exported volunteers"),
    "volunteer.view_phone": _l("Viewed a volunteer's whole phone number"),
    "volunteer.search_phone": _l("Searched volunteers by phone digits"),
    "volunteer.signup_again": _l("A registered phone number signed up again"),
    "volunteer.erase": _l("Erased a volunteer's personal data"),
    "volunteer.person_export": _l("Exported everything held about a volunteer"),
    "activity.create": _l("Logged an activity"),
    "activity.update": _l("Changed an activity"),
    "activity.export": _l("Exported activities"),
    "stats.export": _l("Exported indicators"),
    "target.set": _l("Set a target"),
    "target.import": _l("Imported targets"),
    "data.purge": _l("Purged data past its retention period"),
    "wave.create": _l("Set up a monitoring wave"),
    "wave.close": _l("Closed a monitoring wave"),
    "wave.assign": _l("Assigned an interviewer"),
    "wave.invite": _l("Issued invitation codes"),
    "interview.start": _l("Started an interview"),
    "interview.hand_in": _l("Handed in an interview"),
    "interview.review": _l("Reviewed a flagged interview"),
    "unit.create": _l("Registered a training unit"),
    "unit.update": _l("Changed a training unit"),
    "unit.manager": _l("Opened a unit manager account"),
    "roster.add": _l("Put a person on a roster"),
    "roster.update": _l("Changed a roster entry"),
    "roster.leave": _l("Marked a person as having left a unit"),
    "roster.erase": _l("Erased a trainee's personal data"),
    "roster.import": _l("Imported a roster"),
    "roster.invite": _l("Issued a training invitation"),
    "roster.view_phone": _l("Viewed a trainee's whole phone number"),
    "roster.export": _l("Exported a roster"),
    "roster.person_export": _l("Exported everything held about a trainee"),
    "training.offline": _l("Logged offline training"),
    "training.export_expiring": _l("Exported the certificates expiring soon"),
}


def audit_action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
