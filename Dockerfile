# syntax=docker/dockerfile:1
# lcm-etl images, built from the wheel (never from a checkout):
#
#   build    the sdist and the wheel (python -m build); nothing of this stage ships.
#   runtime  the lcm API, the event consumer and the one-off commands (migrate, demo-source):
#            a slim Python with the wheel installed. `docker build --target runtime .`
#   airflow  the Airflow services (scheduler, dag-processor, triggerer, api-server): the official
#            apache/airflow image with the same wheel installed; the DAGs folder holds dags/ only.
#            The default target.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir "build>=1.2"
COPY pyproject.toml setup.py README.md ./
COPY lcm_etl lcm_etl
COPY sql sql
COPY migrations migrations
# The sdist first, then the wheel from the unpacked sdist: both are proven self-contained.
RUN python -m build --outdir /dist .


FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LCM_DATA_DIR=/data
RUN --mount=type=bind,from=build,source=/dist,target=/dist \
    pip install --no-cache-dir /dist/lcm_etl-*.whl
# The airflow image's uid: both images write the compose stack's shared /data volume.
RUN useradd --system --uid 50000 --gid 0 --home-dir /data --create-home lcm
USER lcm
WORKDIR /data
EXPOSE 8000
ENTRYPOINT ["lcm-etl"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]


FROM apache/airflow:${AIRFLOW_VERSION} AS airflow
ARG AIRFLOW_VERSION
# Pinning apache-airflow keeps pip from moving the image's Airflow.
RUN --mount=type=bind,from=build,source=/dist,target=/dist \
    pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" /dist/lcm_etl-*.whl
COPY --chown=airflow:root dags /opt/airflow/dags
# LCM_DATA_DIR of the compose stack (a named volume takes this directory's owner when created).
USER root
RUN mkdir -p /data && chown airflow:root /data
USER airflow
