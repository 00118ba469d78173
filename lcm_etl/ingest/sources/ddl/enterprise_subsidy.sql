-- The enterprise_subsidy tables lcm-etl reads for the ledger era (budgets), MariaDB/MySQL dialect.
-- Copied from the lcm-etl reference material, which took them from SHOW CREATE TABLE after running
-- the services' own migrations (openedx-ledger v1.8.0, enterprise-subsidy a756c19c,
-- enterprise-access ee7d23a8; Django 5.2 on MySQL: UUIDs are char(32) lowercase hex, no dashes;
-- datetimes are datetime(6) UTC; money is signed integer USD cents; no DEFAULT clauses).
-- Tests load this file into a real MariaDB; lcm_etl.ingest.sources.ledger.py mirrors it for SQLite
-- and PostgreSQL sources.

-- =====================================================================================================
-- DATABASE enterprise_subsidy  (service openedx/enterprise-subsidy; includes the openedx_ledger app)
-- =====================================================================================================

-- -----------------------------------------------------------------------------------------------------
-- Ledger: one per subsidy. Holds no balance column: balance = SUM over transactions (+ their reversals).
-- Source: openedx-ledger openedx_ledger/models.py:102-265 (Ledger), :82-99 (uuid PK), migrations 0001, 0004.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `openedx_ledger_ledger` (
  `created`         datetime(6)  NOT NULL,
  `modified`        datetime(6)  NOT NULL,
  `uuid`            char(32)     NOT NULL,
  `idempotency_key` varchar(255) NOT NULL,          -- unique; 'ledger-for-subsidy-<subsidy uuid, dashed>' when made
                                                    -- for a subsidy (openedx_ledger/utils.py:20-28, constants.py:5)
  `unit`            varchar(255) NOT NULL,          -- 'usd_cents' (default) | 'seats' (models.py:22-28)
  `metadata`        longtext     DEFAULT NULL,      -- JSON text
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `idempotency_key` (`idempotency_key`),
  KEY `openedx_ledger_ledger_unit_81a1b864` (`unit`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Transaction: one signed movement of value. Redemptions are NEGATIVE, deposits/adjustments POSITIVE
-- (adjustments may also be negative). Immutable once committed (models.py:326-338).
-- Source: openedx_ledger/models.py:268-323 (BaseTransaction), :326-462 (Transaction); migrations 0001..0015.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `openedx_ledger_transaction` (
  `created`                    datetime(6)  NOT NULL,
  `modified`                   datetime(6)  NOT NULL,
  `uuid`                       char(32)     NOT NULL,
  `idempotency_key`            varchar(255) NOT NULL,   -- unique per ledger (see UNIQUE below)
  `quantity`                   bigint(20)   NOT NULL,   -- signed, in the ledger's unit (usd_cents)
  `metadata`                   longtext     DEFAULT NULL, -- JSON text; redemption metadata from enterprise-access,
                                                          -- e.g. {"allow_late_enrollment": true}
  `lms_user_id`                int(11)      DEFAULT NULL, -- NULL for deposits/adjustments
  `ledger_id`                  char(32)     DEFAULT NULL, -- FK ledger; nullable (on_delete SET_NULL), always set in practice
  `content_key`                varchar(255) DEFAULT NULL, -- course RUN key for redemptions (e.g. 'course-v1:edX+X+2T2026')
  `state`                      varchar(255) NOT NULL,   -- 'created' | 'pending' | 'committed' | 'failed'
  `subsidy_access_policy_uuid` char(32)     DEFAULT NULL, -- the BUDGET (enterprise-access policy) that redeemed; no FK
  `fulfillment_identifier`     varchar(255) DEFAULT NULL, -- edx-enterprise LearnerCreditEnterpriseCourseEnrollment uuid
  `content_title`              varchar(255) DEFAULT NULL, -- snapshot at redemption time
  `lms_user_email`             varchar(255) DEFAULT NULL, -- snapshot at redemption time (PII)
  `parent_content_key`         varchar(255) DEFAULT NULL, -- course key (e.g. 'edX+X')
  `course_run_start_date`      datetime(6)  DEFAULT NULL, -- snapshot; added by migration 0015 (2025-09), older rows NULL
                                                          -- unless back-populated
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `openedx_ledger_transacti_ledger_id_idempotency_ke_9abaa5d9_uniq` (`ledger_id`,`idempotency_key`),
  KEY `openedx_ledger_transaction_idempotency_key_1eb7f3ea` (`idempotency_key`),
  KEY `openedx_ledger_transaction_lms_user_id_ddfc3a1e` (`lms_user_id`),
  KEY `openedx_ledger_transaction_content_key_3faded91` (`content_key`),
  KEY `openedx_ledger_transaction_state_47f9254c` (`state`),
  KEY `idx_ledger_content_exc` (`ledger_id`,`content_key`),
  KEY `idx_ledger_lms_content_exc` (`ledger_id`,`lms_user_id`,`content_key`),
  KEY `idx_ledger_subsidy_exc` (`ledger_id`,`subsidy_access_policy_uuid`),
  KEY `openedx_ledger_transaction_fulfillment_identifier_c0becd76` (`fulfillment_identifier`),
  KEY `openedx_ledger_transaction_content_title_ca7abead` (`content_title`),
  KEY `openedx_ledger_transaction_lms_user_email_0450b3b2` (`lms_user_email`),
  KEY `openedx_ledger_transaction_parent_content_key_13442588` (`parent_content_key`),
  KEY `openedx_ledger_transaction_course_run_start_date_5374dc94` (`course_run_start_date`),
  CONSTRAINT `openedx_ledger_trans_ledger_id_539d69c4_fk_openedx_l` FOREIGN KEY (`ledger_id`) REFERENCES `openedx_ledger_ledger` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Reversal: the refund of ONE transaction, always in full (quantity = -transaction.quantity), at most one per
-- transaction (UNIQUE transaction_id), created directly in state 'committed'.
-- Source: openedx_ledger/models.py:567-592; api.py:132-170 (reverse_full_transaction).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `openedx_ledger_reversal` (
  `created`         datetime(6)  NOT NULL,   -- = refund time
  `modified`        datetime(6)  NOT NULL,
  `uuid`            char(32)     NOT NULL,
  `idempotency_key` varchar(255) NOT NULL,   -- e.g. 'admin-invoked-reverse-<tx uuid>' (openedx_ledger/views.py:65) or
                                             -- from enterprise-subsidy generate_transaction_reversal_idempotency_key
  `quantity`        bigint(20)   NOT NULL,   -- POSITIVE for a reversed redemption (sign opposite to the transaction)
  `metadata`        longtext     DEFAULT NULL,
  `transaction_id`  char(32)     DEFAULT NULL, -- OneToOne -> transaction (on_delete SET_NULL)
  `state`           varchar(255) NOT NULL,   -- always 'committed' in current code (api.py:167)
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `transaction_id` (`transaction_id`),
  UNIQUE KEY `openedx_ledger_reversal_transaction_id_idempoten_b9ca8087_uniq` (`transaction_id`,`idempotency_key`),
  KEY `openedx_ledger_reversal_idempotency_key_8154539d` (`idempotency_key`),
  KEY `openedx_ledger_reversal_state_b7296d39` (`state`),
  CONSTRAINT `openedx_ledger_rever_transaction_id_b4cef59c_fk_openedx_l` FOREIGN KEY (`transaction_id`) REFERENCES `openedx_ledger_transaction` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- SalesContractReferenceProvider: lookup for Deposit.sales_contract_reference_provider_id. Seeded with
-- slug 'salesforce_opportunity_line_item' by enterprise-subsidy migration subsidy 0022 / subsidy signals.py:30-33.
-- Source: openedx_ledger/models.py:662-698; migration 0011.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `openedx_ledger_salescontractreferenceprovider` (
  `id`       int(11)      NOT NULL AUTO_INCREMENT,
  `created`  datetime(6)  NOT NULL,
  `modified` datetime(6)  NOT NULL,
  `name`     varchar(255) NOT NULL,
  `slug`     varchar(32)  NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `slug` (`slug`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- External fulfillment: the GEAG (Exec Ed) order references of a transaction, and their providers. Not money;
-- enterprise-subsidy's transaction list shows the reference ids as `external_reference` (the reverse relation
-- of ExternalTransactionReference.transaction, rendered as its primary keys).
-- Source: openedx-ledger openedx_ledger/models.py (ExternalFulfillmentProvider, ExternalTransactionReference);
-- migrations 0006 (both tables) and 0007 (provider name no longer unique). Written by lcm-etl from those
-- migrations, not copied from SHOW CREATE TABLE: the column types and keys are Django's for MySQL, the names
-- of the secondary keys are ours (Django's carry a hash; nothing depends on them).
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `openedx_ledger_externalfulfillmentprovider` (
  `id`       int(11)      NOT NULL AUTO_INCREMENT,
  `created`  datetime(6)  NOT NULL,
  `modified` datetime(6)  NOT NULL,
  `name`     varchar(255) NOT NULL,
  `slug`     varchar(32)  NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `slug` (`slug`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `openedx_ledger_externaltransactionreference` (
  `created`                          datetime(6)  NOT NULL,
  `modified`                         datetime(6)  NOT NULL,
  `external_reference_id`            varchar(255) NOT NULL, -- the external system's order id (primary key)
  `external_fulfillment_provider_id` int(11)      NOT NULL,
  `transaction_id`                   char(32)     DEFAULT NULL, -- FK transaction (on_delete CASCADE), nullable
  PRIMARY KEY (`external_reference_id`),
  UNIQUE KEY `openedx_ledger_externaltransactionreference_id_provider_uniq`
    (`external_reference_id`,`external_fulfillment_provider_id`),
  KEY `openedx_ledger_externaltransactionreference_provider_id` (`external_fulfillment_provider_id`),
  KEY `openedx_ledger_externaltransactionreference_transaction_id` (`transaction_id`),
  CONSTRAINT `openedx_ledger_exter_external_fulfillment_fk_openedx_l` FOREIGN KEY (`external_fulfillment_provider_id`)
    REFERENCES `openedx_ledger_externalfulfillmentprovider` (`id`),
  CONSTRAINT `openedx_ledger_exter_transaction_id_fk_openedx_l` FOREIGN KEY (`transaction_id`)
    REFERENCES `openedx_ledger_transaction` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Adjustment: an ad-hoc, committed transaction that changes total deposits (positive or negative), made by
-- staff in Django admin. Its transaction can NOT be reversed (api.py:142-146).
-- Source: openedx_ledger/models.py:58-73 (reasons), :595-659; api.py:226-271; admin.py:271-275, :374-390.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `openedx_ledger_adjustment` (
  `created`                    datetime(6)  NOT NULL,
  `modified`                   datetime(6)  NOT NULL,
  `uuid`                       char(32)     NOT NULL,
  `adjustment_quantity`        bigint(20)   NOT NULL,   -- input copy; the balance uses transaction.quantity
  `reason`                     varchar(255) NOT NULL,   -- unauthorized_enrollment | poor_content_fit |
                                                        -- technical_challenges | missed_refund_or_date | good_faith
  `notes`                      longtext     DEFAULT NULL,
  `ledger_id`                  char(32)     NOT NULL,
  `transaction_id`             char(32)     NOT NULL,   -- the committed transaction that carries the value
  `transaction_of_interest_id` char(32)     DEFAULT NULL, -- e.g. the redemption that could not be refunded
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `transaction_id` (`transaction_id`),
  UNIQUE KEY `transaction_of_interest_id` (`transaction_of_interest_id`),
  KEY `openedx_ledger_adjus_ledger_id_124ae940_fk_openedx_l` (`ledger_id`),
  KEY `openedx_ledger_adjustment_reason_d9fe2024` (`reason`),
  CONSTRAINT `openedx_ledger_adjus_ledger_id_124ae940_fk_openedx_l` FOREIGN KEY (`ledger_id`) REFERENCES `openedx_ledger_ledger` (`uuid`),
  CONSTRAINT `openedx_ledger_adjus_transaction_id_c0e0a09b_fk_openedx_l` FOREIGN KEY (`transaction_id`) REFERENCES `openedx_ledger_transaction` (`uuid`),
  CONSTRAINT `openedx_ledger_adjus_transaction_of_inter_3e2f09e2_fk_openedx_l` FOREIGN KEY (`transaction_of_interest_id`) REFERENCES `openedx_ledger_transaction` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Deposit: a positive, committed transaction that adds value: the subsidy's INITIAL deposit (= starting_balance)
-- and every later top-up. Legacy initial transactions were back-filled into this table by enterprise-subsidy
-- migration subsidy 0022 (heuristic in enterprise_subsidy/apps/subsidy/migration_utils.py:11-40).
-- Source: openedx_ledger/models.py:701-756; api.py:173-223 (create_ledger), :274-322 (create_deposit);
--         migrations 0011, 0012.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `openedx_ledger_deposit` (
  `created`                              datetime(6)  NOT NULL,
  `modified`                             datetime(6)  NOT NULL,
  `uuid`                                 char(32)     NOT NULL,
  `desired_deposit_quantity`             bigint(20)   NOT NULL,   -- input copy; do NOT sum it (models.py:716-717)
  `sales_contract_reference_id`          varchar(255) DEFAULT NULL, -- e.g. Salesforce opportunity line item id
  `ledger_id`                            char(32)     NOT NULL,
  `sales_contract_reference_provider_id` int(11)      DEFAULT NULL,
  `transaction_id`                       char(32)     NOT NULL,
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `transaction_id` (`transaction_id`),
  KEY `openedx_ledger_depos_ledger_id_ad289dcf_fk_openedx_l` (`ledger_id`),
  KEY `openedx_ledger_deposit_sales_contract_reference_id_0212f5fb` (`sales_contract_reference_id`),
  KEY `openedx_ledger_depos_sales_contract_refer_e28bd959_fk_openedx_l` (`sales_contract_reference_provider_id`),
  CONSTRAINT `openedx_ledger_depos_ledger_id_ad289dcf_fk_openedx_l` FOREIGN KEY (`ledger_id`) REFERENCES `openedx_ledger_ledger` (`uuid`),
  CONSTRAINT `openedx_ledger_depos_sales_contract_refer_e28bd959_fk_openedx_l` FOREIGN KEY (`sales_contract_reference_provider_id`) REFERENCES `openedx_ledger_salescontractreferenceprovider` (`id`),
  CONSTRAINT `openedx_ledger_depos_transaction_id_e72c28ad_fk_openedx_l` FOREIGN KEY (`transaction_id`) REFERENCES `openedx_ledger_transaction` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


-- -----------------------------------------------------------------------------------------------------
-- Subsidy: the learner-credit "plan" bought by an enterprise customer. Exactly one ledger (OneToOne).
-- Links: ledger_id -> openedx_ledger_ledger.uuid; enterprise_customer_uuid -> edx-enterprise
-- enterprise_enterprisecustomer.uuid (other service, no FK). Policies point here by subsidy_uuid (other DB).
-- Soft delete: is_soft_deleted=1 rows are hidden by the default manager and by every API (models.py:92-100,
-- :224-225, :267-272).
-- Source: enterprise-subsidy enterprise_subsidy/apps/subsidy/models.py:103-225; migrations subsidy 0010..0020.
-- -----------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS `subsidy_subsidy` (
  `created`                  datetime(6)  NOT NULL,
  `modified`                 datetime(6)  NOT NULL,
  `uuid`                     char(32)     NOT NULL,
  `title`                    varchar(255) DEFAULT NULL,
  `starting_balance`         bigint(20)   NOT NULL,   -- USD cents; becomes the ledger's initial Deposit on create
                                                      -- (subsidy/signals.py:12-45). NOT updated by top-ups.
  `unit`                     varchar(255) NOT NULL,   -- 'usd_cents' | 'seats'
  `reference_id`             varchar(255) DEFAULT NULL, -- Salesforce OpportunityLineItem id
  `reference_type`           varchar(255) NOT NULL,   -- 'salesforce_opportunity_line_item'
  `enterprise_customer_uuid` char(32)     NOT NULL,
  `active_datetime`          datetime(6)  DEFAULT NULL, -- plan start  (budget "start" in the portal)
  `expiration_datetime`      datetime(6)  DEFAULT NULL, -- plan end    (budget "end"/expiry in the portal)
  `ledger_id`                char(32)     DEFAULT NULL,
  `internal_only`            tinyint(1)   NOT NULL,   -- 1 = test/internal subsidy, not customer facing
  `revenue_category`         varchar(255) NOT NULL,   -- 'bulk-enrollment-prepay' | 'partner-no-rev-prepay'
  `is_soft_deleted`          tinyint(1)   NOT NULL,
  PRIMARY KEY (`uuid`),
  UNIQUE KEY `ledger_id` (`ledger_id`),
  KEY `subsidy_subsidy_unit_d3bc6846` (`unit`),
  KEY `subsidy_subsidy_reference_type_544c87b2` (`reference_type`),
  KEY `subsidy_subsidy_enterprise_customer_uuid_9be400d1` (`enterprise_customer_uuid`),
  KEY `subsidy_subsidy_is_soft_deleted_e78cd104` (`is_soft_deleted`),
  CONSTRAINT `subsidy_subsidy_ledger_id_ced2c07f_fk_openedx_ledger_ledger_uuid` FOREIGN KEY (`ledger_id`) REFERENCES `openedx_ledger_ledger` (`uuid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;


