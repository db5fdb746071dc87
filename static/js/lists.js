// lists: see the README layout.
