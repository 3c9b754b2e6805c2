"""Sign-in and browser sessions: what a completed sign-in does, the session behind the cookie,
the authorization request waiting for a login (interactions), and ending a session with the
back-channel logout it triggers."""
