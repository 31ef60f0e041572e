"""Behaviour shared by the app's DocType controllers."""
