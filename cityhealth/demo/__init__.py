"""The demo, apart from the product: the generator of the departments' deliveries
(``generator``), the departments' feed server (``feed_server``), the runner of ``make
demo`` (``runner``) and the Airflow UI launcher (``airflow_ui``). Nothing outside this
package imports it, except tests and benchmarks."""
