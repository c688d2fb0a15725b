"""The only code that reads or writes data. Every public function takes an actor first."""
