"""What happens to accounts, announced for whoever keeps a record of it.

The audit log listens (``webapp.audit.service``) and writes each entry in the request's or
command's transaction. Announcing, rather than writing audit entries here, keeps accounts
below the audit log: its entries point at accounts, and accounts import nothing from it.
"""

from __future__ import annotations

from blinker import Namespace

_account_events = Namespace()

#: sender: the account that signed in on the site
signed_in = _account_events.signal("account-signed-in")
#: sender: the new account; ``by``: who opened it (None: the command line)
opened = _account_events.signal("account-opened")
#: sender: the changed account; ``by``: the admin who changed it; ``password_changed``: whether it got a new password
changed = _account_events.signal("account-changed")
#: sender: the account whose holder replaced their own password
password_changed = _account_events.signal("account-password-changed")
#: sender: the account signed out on every device; ``by``: who signed it out
signed_out_everywhere = _account_events.signal("account-signed-out-everywhere")
