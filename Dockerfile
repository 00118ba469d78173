# lcm-etl on the official Airflow image: one image for the Airflow services (scheduler,
# dag-processor, triggerer, api-server), the lcm API and the event consumer.
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}
ARG AIRFLOW_VERSION

# The project is installed editable from /opt/lcm-etl: `lcm-etl migrate` runs the Alembic scripts
# of that checkout. Pinning apache-airflow keeps pip from moving the image's Airflow.
COPY --chown=airflow:root pyproject.toml README.md /opt/lcm-etl/
COPY --chown=airflow:root lcm_etl /opt/lcm-etl/lcm_etl
COPY --chown=airflow:root migrations /opt/lcm-etl/migrations
COPY --chown=airflow:root sql /opt/lcm-etl/sql
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -e /opt/lcm-etl

COPY --chown=airflow:root dags /opt/airflow/dags

# LCM_DATA_DIR of the compose stack (a named volume takes this directory's owner when created).
USER root
RUN mkdir -p /data && chown airflow:root /data
USER airflow
