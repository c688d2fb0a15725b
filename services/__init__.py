"""The only code that reads or writes data, in one package per domain (see each package's docstring).

Entry points take the actor first and open their own unit of work; helpers that run inside a caller's
transaction take the session first. A domain imports only the domains below it (core < adapters < mail <
staff < organizations < clients < projects < billing < card_payments), which `make lint` checks.
"""
