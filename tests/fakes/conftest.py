from tests.fakes.fixtures import *  # noqa: F403  (re-export fixtures for the tests of the fake itself)
