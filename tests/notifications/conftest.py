import pytest

from .robot_receiver import robot_receiver_start


@pytest.fixture
def robot_receiver(settings):
    """The local robot endpoint, and the setting that lets robots point at it."""
    receiver = robot_receiver_start()
    settings.NOTIFICATIONS_ROBOT_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "127.0.0.1"]
    yield receiver
    receiver.stop()
