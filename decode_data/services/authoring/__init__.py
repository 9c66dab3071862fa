"""Tools for lesson authors: proving lessons against wrong answers."""
