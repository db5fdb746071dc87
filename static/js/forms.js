// forms: see the README layout.
