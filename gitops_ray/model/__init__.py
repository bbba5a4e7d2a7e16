"""The data every stage passes on: objects and their accessors, units, ownership marks, located problems.
Pure; imports nothing of the project.
"""
