// settings: see the README layout.
