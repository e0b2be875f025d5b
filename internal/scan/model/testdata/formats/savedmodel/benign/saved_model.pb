ﬁ
"serve*2.15.0 

xPlaceholder

dense/MatMulMatMul
+
printPrintV2*
output_streamstderr

save/SaveV2SaveV2

save/RestoreV2	RestoreV2

saver_filenamePlaceholderù
]

__inference__traced_save_1234(
MergeV2CheckpointsMergeV2Checkpoints
SaveV2SaveV2
<
"
 __inference__traced_restore_1235
	RestoreV2	RestoreV2