"""The real app started for a browser, and a learner's steps in it: shared by the browser tests,
the browser bench and the screenshot script."""
