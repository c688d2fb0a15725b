"""Project work: projects, milestones and progress, requests on the kanban, updates and comments,
and the notification mails about them."""
