// bulk: see the README layout.
