"""Background work on one queue: Django's tasks framework with its database backend.

The queue (django-tasks-db's table) and each job's progress live under the database alias
`tasks`: on the embedded SQLite default a second file beside the record, on PostgreSQL the
same database through a connection of its own. Either way a job's bar is committed apart
from the long transaction of the import it reports on.
"""
