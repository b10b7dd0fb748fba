from moto.applicationautoscaling.urls import url_bases

from .responses import ApplicationAutoScalingResponse

url_paths = {
    "{0}/$": ApplicationAutoScalingResponse.dispatch,
}

__all__ = ["url_bases", "url_paths"]
