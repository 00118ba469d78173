-- Databases of the compose stack: the lcm read model and Airflow's metadata.
CREATE ROLE lcm LOGIN PASSWORD 'lcm';
CREATE DATABASE lcm OWNER lcm;
CREATE ROLE airflow LOGIN PASSWORD 'airflow';
CREATE DATABASE airflow OWNER airflow;
