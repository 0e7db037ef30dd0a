DROP TABLE usage_week_rolled;
